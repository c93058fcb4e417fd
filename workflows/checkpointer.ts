import { MongoDBSaver } from '@langchain/langgraph-checkpoint-mongodb';
import { WRITES_IDX_MAP, type Checkpoint, type CheckpointMetadata, type PendingWrite } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { MongoClient } from 'mongodb';
import type { Logger } from '../src/logger.ts';

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string') throw new Error(`Invalid configurable.${name}: expected a string`);
  return v;
};

/**
 * MongoDBSaver whose writes find their document by `_id` alone. The stock saver upserts with a
 * filter on thread_id/checkpoint_ns/checkpoint_id(/task_id/idx): MongoDB answers that from the
 * compound index, but FerretDB v1 uses an index only for `_id` and scanned the whole collection
 * for every upserted write (the main cost of a workflow step there, measured with
 * BENCH_DB_PROFILE=1). The documents keep every field the stock saver stores, so its reads
 * (getTuple, list, deleteThread) find them unchanged; only the `_id` is now derived from the key.
 */
export class KeyedMongoDBSaver extends MongoDBSaver {
  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata): Promise<RunnableConfig> {
    const thread_id = str(config.configurable?.thread_id, 'thread_id');
    const checkpoint_ns = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const parent = config.configurable?.checkpoint_id as string | undefined;
    const [[type, serializedCheckpoint], [metadataType, serializedMetadata]] = await Promise.all([this.serde.dumpsTyped(checkpoint), this.serde.dumpsTyped(metadata)]);
    if (type !== metadataType) throw new Error('Mismatched checkpoint and metadata types.');
    const key = { thread_id, checkpoint_ns, checkpoint_id: checkpoint.id };
    const doc = { ...key, parent_checkpoint_id: parent, type, checkpoint: serializedCheckpoint, metadata: serializedMetadata, metadata_search: metadata };
    await this.db.collection(this.checkpointCollectionName).updateOne({ _id: idOf(key) as never }, { $set: doc }, { upsert: true });
    return { configurable: key };
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    const thread_id = str(config.configurable?.thread_id, 'thread_id');
    const checkpoint_ns = str(config.configurable?.checkpoint_ns, 'checkpoint_ns');
    const checkpoint_id = str(config.configurable?.checkpoint_id, 'checkpoint_id');
    // Same rule as the stock saver: special writes (errors, interrupts, resumes) replace, others are kept first-wins.
    const allSpecial = writes.every(([channel]) => channel in WRITES_IDX_MAP);
    const ops = await Promise.all(
      writes.map(async ([channel, value], i) => {
        const key = { thread_id, checkpoint_ns, checkpoint_id, task_id: taskId, idx: WRITES_IDX_MAP[channel] ?? i };
        const [type, serialized] = await this.serde.dumpsTyped(value);
        const fields = { ...key, channel, type, value: serialized };
        return { updateOne: { filter: { _id: idOf(key) as never }, update: allSpecial ? { $set: fields } : { $setOnInsert: fields }, upsert: true } };
      }),
    );
    if (ops.length > 0) await this.db.collection(this.checkpointWritesCollectionName).bulkWrite(ops);
  }
}

/** JSON, not a joined string: checkpoint_ns itself contains '|' for subgraphs. */
function idOf(key: Record<string, string | number>): string {
  return JSON.stringify(Object.values(key));
}

/**
 * The LangGraph checkpointer on orch's native mongodb@6 client. No TTL: FerretDB cannot build TTL
 * indexes, and a waiting approval must survive any length of time anyway (finished runs' threads
 * are deleted by the engine). setup() RETURNS its errors instead of throwing; any of them means
 * checkpoints may not be found again, so it is fatal.
 */
export async function createCheckpointer(client: MongoClient, dbName: string, logger: Logger): Promise<MongoDBSaver> {
  const saver = new KeyedMongoDBSaver({ client, dbName });
  const errors = await saver.setup();
  if (errors.length > 0) {
    for (const e of errors) logger.error('checkpointer setup failed', { error: e.message });
    throw new Error(`LangGraph checkpointer setup failed: ${errors.map((e) => e.message).join('; ')}`);
  }
  return saver;
}
