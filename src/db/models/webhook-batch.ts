import { Schema, type Connection, type InferSchemaType } from 'mongoose';

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
  },
  { timestamps: false, versionKey: false },
);
webhookBatchSchema.index({ sha256: 1 });
webhookBatchSchema.index({ receivedAt: -1 });

export type WebhookBatchDoc = InferSchemaType<typeof webhookBatchSchema>;
export const webhookBatchModel = (conn: Connection) => conn.model('WebhookBatch', webhookBatchSchema, 'webhook_batches');
