import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/** Append-only audit log (invariant 7): updates and deletes through the model are refused. */
const auditSchema = new Schema(
  {
    at: { type: Date, required: true, default: () => new Date() },
    actor: { type: String, required: true },
    action: { type: String, required: true },
    target: { type: String },
    outcome: { type: String, enum: ['allowed', 'refused', 'done', 'failed'], required: true, default: 'done' },
    reason: { type: String },
    details: { type: Schema.Types.Mixed },
    /** How the actor reached orch, e.g. `API token ci-bot` (absent: Slack or internal). */
    via: { type: String },
  },
  { versionKey: false, minimize: false },
);
auditSchema.index({ at: -1 });
auditSchema.index({ target: 1, at: -1 });
auditSchema.index({ actor: 1, at: -1 });

const refuse = () => {
  throw new Error('the audit log is append-only');
};
for (const op of ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndDelete'] as const) {
  auditSchema.pre(op, refuse);
}

export type AuditEntryDoc = InferSchemaType<typeof auditSchema>;
export const auditEntryModel = (conn: Connection) => conn.model('AuditEntry', auditSchema, 'audit_log');
