import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/** One reconciliation (full or after-write): what was compared, found, fixed, and what it cost. */
const reconcileReportSchema = new Schema(
  {
    _id: { type: String, required: true },
    trigger: { type: String, enum: ['nightly', 'manual', 'api', 'after-write', 'bench'], required: true },
    actor: { type: String },
    status: { type: String, enum: ['running', 'completed', 'failed', 'aborted'], required: true, default: 'running' },
    scope: { type: Schema.Types.Mixed },
    startedAt: { type: Date, required: true, default: () => new Date() },
    finishedAt: { type: Date },
    durationMs: { type: Number },
    objectsCompared: { hubspot: { type: Number, default: 0 }, mirror: { type: Number, default: 0 } },
    findingsByType: { type: Schema.Types.Mixed, default: {} },
    exceptions: { opened: { type: Number, default: 0 }, updated: { type: Number, default: 0 }, closed: { type: Number, default: 0 } },
    fixes: { applied: { type: Number, default: 0 }, failed: { type: Number, default: 0 } },
    apiCalls: { hubspot: { type: Number, default: 0 }, airtable: { type: Number, default: 0 } },
    errors: { type: [String], default: [] },
    instance: { type: String },
  },
  // `errors` is the report's own field (messages of a failed run), not mongoose's validation errors.
  { timestamps: true, versionKey: false, minimize: false, suppressReservedKeysWarning: true },
);
reconcileReportSchema.index({ startedAt: -1 });

/**
 * The cross-instance "one reconciliation at a time" lock: a single document claimed with one
 * atomic findOneAndUpdate (expired or free → ours); no transaction needed.
 */
const reconcileLockSchema = new Schema(
  {
    _id: { type: String, required: true },
    holder: { type: String },
    until: { type: Date, required: true },
  },
  { versionKey: false },
);

export type ReconcileReportDoc = InferSchemaType<typeof reconcileReportSchema>;
export const reconcileReportModel = (conn: Connection) => conn.model('ReconcileReport', reconcileReportSchema, 'reconcile_reports');
export const reconcileLockModel = (conn: Connection) => conn.model('ReconcileLock', reconcileLockSchema, 'reconcile_locks');
