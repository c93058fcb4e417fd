import { Schema, type Connection, type InferSchemaType } from 'mongoose';

// SUPERSEDED: a newer change to the same object opened a newer sheet for the same workflow (issue 14).
export const APPROVAL_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'SUPERSEDED'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

const approvalSchema = new Schema(
  {
    _id: { type: String, required: true },
    runId: { type: String, required: true },
    // One approval per run step: a replayed node cannot open a second one (invariant 2).
    step: { type: String, required: true },
    workflowId: { type: String, required: true },
    objectType: { type: String, required: true },
    objectId: { type: String, required: true },
    title: { type: String },
    status: { type: String, enum: APPROVAL_STATUSES, required: true, default: 'PENDING' },
    fields: { type: Schema.Types.Mixed },
    diff: { type: Schema.Types.Mixed, default: [] },
    riskFlags: { type: Schema.Types.Mixed, default: [] },
    intendedWrites: { type: Schema.Types.Mixed, default: [] },
    // Snapshot of the policy version in force, so "why was this approved?" stays answerable (invariant 7).
    policy: { type: Schema.Types.Mixed },
    // replyTs: the thread reply saying what was written (posted once, WORKFLOWS).
    // postingUntil/postingBy/attempts: the claim on posting the sheet, so one approval has one message (workflows/sheet-post.ts).
    slack: { channel: String, ts: String, replyTs: String, postingUntil: Date, postingBy: String, attempts: Number },
    // The object's hs_lastmodifieddate (ms) the sheet was built from: a newer one supersedes this approval.
    objectVersion: { type: Number },
    supersededBy: { approvalId: String, runId: String, link: String },
    // Set when the contact's PII was removed (`/orch forget`): ids, decision and policy stay.
    forgotten: { at: Date, by: String, reason: String },
    trigger: { type: String },
    mode: { type: String, enum: ['dry-run', 'live'] },
    requestedAt: { type: Date, required: true, default: () => new Date() },
    expiresAt: { type: Date },
    remindedAt: { type: Date },
    decidedBy: { type: String },
    decidedAt: { type: Date },
    decision: { type: String, enum: ['approve', 'reject', 'expire'] },
    reason: { type: String },
    // A choice made together with Approve (role picker, kickoff slot): what was offered, and the value chosen (set in the decision's update).
    choice: { type: Schema.Types.Mixed },
    chosen: { type: String },
    // N-of-M (issue 13): the levels to pass in order, the current level and its vote count (both
    // guarded in the vote's filter), every vote (who, for whom, when, policy snapshot), the people
    // asked at the current level, the object's owner (who may not approve it), and the escalation.
    requirement: { type: Schema.Types.Mixed },
    level: { type: Number },
    levelVotes: { type: Number },
    votes: { type: Schema.Types.Mixed },
    levelApprovers: { type: [String], default: undefined },
    subject: { type: String },
    escalatedAt: { type: Date },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
approvalSchema.index({ runId: 1, step: 1 }, { unique: true });
approvalSchema.index({ status: 1, requestedAt: 1 });
approvalSchema.index({ decidedAt: -1 });
approvalSchema.index({ objectType: 1, objectId: 1, workflowId: 1, status: 1 });

export type ApprovalDoc = InferSchemaType<typeof approvalSchema>;
export const approvalModel = (conn: Connection) => conn.model('Approval', approvalSchema, 'approvals');
