import { MongoDBSaver } from '@langchain/langgraph-checkpoint-mongodb';
import type { MongoClient } from 'mongodb';
import type { Logger } from '../src/logger.ts';

/**
 * The stock LangGraph MongoDB checkpointer on orch's one native client (mongodb 7.8, the driver
 * mongoose uses too). The package is typed against its own mongodb@6; the calls it makes (find,
 * updateOne, bulkWrite, deleteMany, createIndex) are the same in 7, so the client is cast. No TTL: a waiting
 * approval must survive any length of time (finished runs' threads are deleted by the engine).
 * setup() RETURNS its errors instead of throwing; any of them means checkpoints may not be found
 * again, so it is fatal.
 */
export async function createCheckpointer(client: MongoClient, dbName: string, logger: Logger): Promise<MongoDBSaver> {
  const saver = new MongoDBSaver({ client: client as unknown as ConstructorParameters<typeof MongoDBSaver>[0]['client'], dbName });
  const errors = await saver.setup();
  if (errors.length > 0) {
    for (const e of errors) logger.error('checkpointer setup failed', { error: e.message });
    throw new Error(`LangGraph checkpointer setup failed: ${errors.map((e) => e.message).join('; ')}`);
  }
  return saver;
}
