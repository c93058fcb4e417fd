import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/** Versioned policy: the version in force has validFrom <= now < validTo (validTo unset = open). */
const policySchema = new Schema(
  {
    name: { type: String, required: true },
    version: { type: Number, required: true },
    description: { type: String },
    rules: { type: Schema.Types.Mixed, default: [] },
    thresholds: { type: Schema.Types.Mixed, default: {} },
    validFrom: { type: Date, required: true, default: () => new Date() },
    validTo: { type: Date },
    createdBy: { type: String },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
policySchema.index({ name: 1, version: 1 }, { unique: true });
policySchema.index({ name: 1, validFrom: -1 });

export type PolicyDoc = InferSchemaType<typeof policySchema>;
export const policyModel = (conn: Connection) => conn.model('Policy', policySchema, 'policies');
