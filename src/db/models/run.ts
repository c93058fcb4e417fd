import { Schema, type Connection, type InferSchemaType } from 'mongoose';

export const RUN_STATUSES = ['PENDING', 'RUNNING', 'WAITING_APPROVAL', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const STEP_STATUSES = ['running', 'completed', 'failed', 'waiting', 'skipped'] as const;

const stepSchema = new Schema(
  {
    /** `name#attempt`: finds a step written as running when it ends (workflows/node-wrapper.ts). */
    sid: { type: String },
    name: { type: String, required: true },
    status: { type: String, enum: STEP_STATUSES, required: true },
    attempt: { type: Number, default: 1 },
    startedAt: { type: Date },
    finishedAt: { type: Date },
    durationMs: { type: Number },
    error: { type: String },
    errorClass: { type: String },
  },
  { _id: false },
);

/** A workflow run; its LangGraph thread_id is the run's _id. */
const runSchema = new Schema(
  {
    _id: { type: String, required: true },
    workflowId: { type: String, required: true },
    status: { type: String, enum: RUN_STATUSES, required: true, default: 'PENDING' },
    objectType: { type: String, required: true },
    objectId: { type: String, required: true },
    // objectType:objectId:updatedAt:workflowId (invariant 2): a duplicate key creates nothing.
    correlationKey: { type: String, required: true, unique: true },
    trigger: {
      subscriptionTypes: [String],
      eventIds: [String],
      unitId: String,
      reason: String,
    },
    envelope: { type: Schema.Types.Mixed },
    mode: { type: String, enum: ['dry-run', 'live'] },
    steps: { type: [stepSchema], default: [] },
    attempts: { type: Number, default: 0 },
    retried: { type: Boolean, default: false },
    error: { type: String },
    errorClass: { type: String },
    result: { type: Schema.Types.Mixed },
    forcedBy: { type: String },
    startedAt: { type: Date, required: true, default: () => new Date() },
    finishedAt: { type: Date },
    approvalWaitMs: { type: Number, default: 0 },
    // Engine bookkeeping (WORKFLOWS): the instance that holds the run and until when; an expired
    // lease on a RUNNING run means its worker died, so another instance retakes it.
    owner: { type: String },
    leaseUntil: { type: Date },
    // A decision waiting to be fed to the LangGraph thread as Command({ resume }); kept until the
    // resumed invocation ends so a crash in between cannot lose it.
    pendingResume: { type: Schema.Types.Mixed },
    cancelRequested: { type: Boolean },
    // What the policy step saw and decided (issue 13): the facts a backtest replays through a draft policy.
    policyCheck: {
      policy: String,
      version: Number,
      facts: { type: Schema.Types.Mixed },
      needsApproval: Boolean,
      matched: [String],
      at: Date,
    },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
runSchema.index({ status: 1, startedAt: -1 });
runSchema.index({ workflowId: 1, startedAt: -1 });
runSchema.index({ objectType: 1, objectId: 1, startedAt: -1 });
runSchema.index({ startedAt: -1 });
runSchema.index({ status: 1, leaseUntil: 1 });
runSchema.index({ 'policyCheck.policy': 1, startedAt: -1 });

export type RunDoc = InferSchemaType<typeof runSchema>;
export const runModel = (conn: Connection) => conn.model('Run', runSchema, 'runs');
