import { MongoDBSaver } from '@langchain/langgraph-checkpoint-mongodb';
import type { MongoClient } from 'mongodb';
import type { Logger } from '../src/logger.ts';

/**
 * The stock LangGraph MongoDB checkpointer on orch's native mongodb@6 client. No TTL: a waiting
 * approval must survive any length of time (finished runs' threads are deleted by the engine).
 * setup() RETURNS its errors instead of throwing; any of them means checkpoints may not be found
 * again, so it is fatal.
 */
export async function createCheckpointer(client: MongoClient, dbName: string, logger: Logger): Promise<MongoDBSaver> {
  const saver = new MongoDBSaver({ client, dbName });
  const errors = await saver.setup();
  if (errors.length > 0) {
    for (const e of errors) logger.error('checkpointer setup failed', { error: e.message });
    throw new Error(`LangGraph checkpointer setup failed: ${errors.map((e) => e.message).join('; ')}`);
  }
  return saver;
}
