import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/**
 * One DM alert window per dedup key: the first alert of a window sends the DM, later ones only
 * increment `count` and the DM is edited in place. Kept in MongoDB so several instances dedupe together.
 */
const alertSchema = new Schema(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true },
    severity: { type: String, required: true },
    windowStart: { type: Date, required: true },
    count: { type: Number, required: true, default: 1 },
    // The count the posted DMs currently show; an update is needed while count > shownCount.
    shownCount: { type: Number, default: 0 },
    lastAt: { type: Date },
    payload: { type: Schema.Types.Mixed },
    recipients: { type: [String], default: [] },
    dms: { type: [{ channel: String, ts: String, _id: false }], default: [] },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
alertSchema.index({ lastAt: -1 });

export type AlertDoc = InferSchemaType<typeof alertSchema>;
export const alertModel = (conn: Connection) => conn.model('Alert', alertSchema, 'alerts');
