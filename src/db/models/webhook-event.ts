import { Schema, type Connection, type InferSchemaType } from 'mongoose';
import { dropIndexIfExists, findIndex } from '../indexes.ts';

export const EVENT_STATUSES = ['received', 'queued', 'processed', 'ignored', 'skipped', 'quarantined', 'failed'] as const;

/** One HubSpot webhook event, stored before the 200 (invariant 1). */
const webhookEventSchema = new Schema(
  {
    _id: { type: String, required: true },
    // eventId alone is not unique: portal, subscription, eventId, object, time and property make the key.
    // The _id is made from it (evt_<key>, evq_<hash>), so the _id index is what refuses a re-delivery;
    // a second unique index on the key cost a fifth of the server's insert rate (docs/ingest.md).
    dedupeKey: { type: String, required: true },
    eventId: { type: String },
    portalId: { type: Number },
    appId: { type: Number },
    subscriptionId: { type: Number },
    subscriptionType: { type: String, required: true },
    objectType: { type: String },
    objectId: { type: String },
    occurredAt: { type: Date },
    propertyName: { type: String },
    propertyValue: { type: String },
    changeSource: { type: String },
    attemptNumber: { type: Number },
    status: { type: String, enum: EVENT_STATUSES, required: true, default: 'received' },
    reason: { type: String },
    batchId: { type: String, required: true },
    unitId: { type: String },
    raw: { type: Schema.Types.Mixed, required: true },
    receivedAt: { type: Date, required: true, default: () => new Date() },
    /** When `status` last changed (processing, replay); retention counts from it (src/services/retention.ts). */
    statusAt: { type: Date },
    /** Set when the contact's PII was removed (`/orch forget`, privacy deletion): see docs/operations.md. */
    forgotten: { at: Date, by: String, reason: String },
  },
  { timestamps: false, versionKey: false, minimize: false },
);
webhookEventSchema.index({ status: 1, receivedAt: -1 });
webhookEventSchema.index({ objectType: 1, objectId: 1, occurredAt: 1 });
webhookEventSchema.index({ batchId: 1 });

/**
 * Before the model's indexes are built: databases from before the _id was the dedupe key's have a
 * unique `dedupeKey_1` index. It is dropped once every stored event's _id is made from its key
 * (one query that stops at the first one that is not); until then it stays, and keeps refusing.
 */
export async function migrateWebhookEvents(model: ReturnType<typeof webhookEventModel>, onKept?: () => void): Promise<void> {
  const coll = model.collection;
  if (!(await findIndex(coll, 'dedupeKey_1'))) return;
  // A key that is not a string (never written by orch) keeps the index; $concat would fail on it.
  const odd = await coll.findOne({ dedupeKey: { $not: { $type: 'string' } } }, { projection: { _id: 1 } });
  const derived = { $or: [{ $eq: ['$_id', { $concat: ['evt_', '$dedupeKey'] }] }, { $eq: ['$_id', { $concat: ['evq_', { $substrCP: ['$dedupeKey', 2, 64] }] }] }] };
  const older = odd ?? (await coll.findOne({ $expr: { $not: [derived] } }, { projection: { _id: 1 } }));
  if (older) return onKept?.();
  await dropIndexIfExists(coll, 'dedupeKey_1');
}

export type WebhookEventDoc = InferSchemaType<typeof webhookEventSchema>;
export const webhookEventModel = (conn: Connection) => conn.model('WebhookEvent', webhookEventSchema, 'webhook_events');
