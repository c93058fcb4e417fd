import { Schema, type Connection, type InferSchemaType } from 'mongoose';

export const UNIT_STATUSES = ['pending', 'processing', 'done', 'ignored', 'skipped', 'failed'] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];

const unitRunSchema = new Schema(
  { workflowId: String, runId: String, correlationKey: String, created: Boolean },
  { _id: false },
);

/**
 * One burst of events for one HubSpot object, from its claim on: what was processed, the runs it
 * created, or why it was skipped or failed (`pending` = waiting for another enrichment attempt).
 * Objects still inside their debounce window live in `pending_units` (see pending-unit.ts).
 */
const workUnitSchema = new Schema(
  {
    _id: { type: String, required: true },
    objectKey: { type: String, required: true },
    objectType: { type: String, required: true },
    objectId: { type: String, required: true },
    portalId: { type: Number },
    status: { type: String, enum: UNIT_STATUSES, required: true },
    attempts: { type: Number, default: 0 },
    eventIds: { type: [String], default: undefined },
    runs: { type: [unitRunSchema], default: undefined },
    reason: { type: String },
    error: { type: String },
    replayOf: { type: String },
    forcedBy: { type: String },
    createdAt: { type: Date },
    updatedAt: { type: Date },
    finishedAt: { type: Date },
  },
  { timestamps: false, versionKey: false, minimize: false },
);
workUnitSchema.index({ status: 1, createdAt: -1 });
workUnitSchema.index({ objectKey: 1, createdAt: -1 });

export type WorkUnitDoc = InferSchemaType<typeof workUnitSchema>;
export const workUnitModel = (conn: Connection) => conn.model('WorkUnit', workUnitSchema, 'work_units');
