import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { dropIndexIfExists, findIndex } from '../indexes.ts';

/** A HubSpot webhook request body exactly as received (for forensics and re-verification). */
const webhookBatchSchema = new Schema(
  {
    _id: { type: String, required: true },
    sha256: { type: String, required: true },
    body: { type: String, required: true },
    signatureVersion: { type: String },
    events: { type: Number, required: true },
    accepted: { type: Number, default: 0 },
    duplicates: { type: Number, default: 0 },
    quarantined: { type: Number, default: 0 },
    receivedAt: { type: Date, required: true },
    /** The same bytes posted again (a replay): counted here, never stored twice. */
    replays: { type: Number, default: 0 },
    lastReplayAt: { type: Date },
  },
  { timestamps: false, versionKey: false },
);
// Unique: a replayed body (same bytes) is stored once (issue 14). HubSpot's own retries differ in attemptNumber.
webhookBatchSchema.index({ sha256: 1 }, { unique: true });
webhookBatchSchema.index({ receivedAt: -1 });

export type WebhookBatchDoc = InferSchemaType<typeof webhookBatchSchema>;
export const webhookBatchModel = (conn: Connection) => conn.model('WebhookBatch', webhookBatchSchema, 'webhook_batches');

/**
 * Before the model's indexes are built: databases from before issue 14 have a plain sha256 index
 * and may hold copies of one body. Keeps the earliest copy of each, then drops the old index so the
 * unique one can be built. Does nothing once the index is unique.
 */
export async function migrateWebhookBatches(model: ReturnType<typeof webhookBatchModel>): Promise<void> {
  const coll = model.collection;
  const old = await findIndex(coll, 'sha256_1');
  if (!old || old.unique) return;
  const copies = await coll.aggregate<{ ids: string[] }>([{ $group: { _id: '$sha256', ids: { $push: '$_id' }, n: { $sum: 1 } } }, { $match: { n: { $gt: 1 } } }]).toArray();
  for (const c of copies) await coll.deleteMany({ _id: { $in: [...c.ids].sort().slice(1) as never[] } });
  await dropIndexIfExists(coll, 'sha256_1');
}
