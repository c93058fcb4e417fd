import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/**
 * Runtime settings changed from Slack (e.g. `mode`), one document per key. Environment values
 * (ORCH_MODE) are only the default at first start; after that this collection wins, so every
 * instance sees the same setting.
 */
const settingSchema = new Schema(
  {
    _id: { type: String, required: true },
    value: { type: Schema.Types.Mixed, required: true },
    updatedBy: { type: String },
  },
  { timestamps: true, versionKey: false, minimize: false },
);

export type SettingDoc = InferSchemaType<typeof settingSchema>;
export const settingModel = (conn: Connection) => conn.model('Setting', settingSchema, 'settings');
