import { Schema, type Connection, type InferSchemaType } from 'mongoose';

// 'applying' = a fix is being written (open → applying → resolved, each step atomic): a second click finds it taken.
export const EXCEPTION_STATUSES = ['open', 'applying', 'resolved', 'ignored'] as const;
export const SEVERITIES = ['low', 'medium', 'high'] as const;

const exceptionSchema = new Schema(
  {
    _id: { type: String, required: true },
    type: { type: String, required: true },
    severity: { type: String, enum: SEVERITIES, required: true, default: 'medium' },
    objectType: { type: String, required: true },
    objectId: { type: String, required: true },
    status: { type: String, enum: EXCEPTION_STATUSES, required: true, default: 'open' },
    // "type:objectType:objectId" while open, suffixed with the id once closed: this unique key is how
    // "one open exception per object and type" holds, and closing frees it in the same update.
    openKey: { type: String, required: true, unique: true },
    title: { type: String },
    diff: { type: Schema.Types.Mixed, default: [] },
    proposedFix: { type: Schema.Types.Mixed },
    details: { type: Schema.Types.Mixed },
    runId: { type: String },
    assignee: { type: String },
    firstSeenAt: { type: Date, required: true, default: () => new Date() },
    lastSeenAt: { type: Date, required: true, default: () => new Date() },
    occurrences: { type: Number, default: 1 },
    resolvedAt: { type: Date },
    resolvedBy: { type: String },
    resolution: { type: String },
    notes: { type: [{ at: Date, actor: String, text: String, _id: false }], default: [] },
    slack: { channel: String, ts: String },
    // While `applying`: who holds the fix and until when. A holder that died lets it lapse; the
    // next Apply or re-detection reclaims it (src/reconcile/fixes.ts).
    lease: { token: String, until: Date },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
exceptionSchema.index({ status: 1, lastSeenAt: -1 });
exceptionSchema.index({ type: 1, status: 1 });

export type ExceptionDoc = InferSchemaType<typeof exceptionSchema>;
export const exceptionModel = (conn: Connection) => conn.model('Exception', exceptionSchema, 'exceptions');
