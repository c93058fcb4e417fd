import { Schema, type Connection, type InferSchemaType } from 'mongoose';

export const EVENT_STATUSES = ['received', 'queued', 'processed', 'ignored', 'skipped', 'quarantined', 'failed'] as const;

/** One HubSpot webhook event, stored before the 200 (invariant 1). */
const webhookEventSchema = new Schema(
  {
    _id: { type: String, required: true },
    // eventId alone is not unique: portal, subscription, eventId, object, time and property make the key.
    dedupeKey: { type: String, required: true, unique: true },
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

export type WebhookEventDoc = InferSchemaType<typeof webhookEventSchema>;
export const webhookEventModel = (conn: Connection) => conn.model('WebhookEvent', webhookEventSchema, 'webhook_events');
