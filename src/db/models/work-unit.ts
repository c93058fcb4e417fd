import { Schema, type Connection, type InferSchemaType } from 'mongoose';

export const UNIT_STATUSES = ['pending', 'processing', 'done', 'ignored', 'skipped', 'failed'] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];

const unitRunSchema = new Schema(
  { workflowId: String, runId: String, correlationKey: String, created: Boolean },
  { _id: false },
);

/**
 * One burst of events for one HubSpot object (ingest debounce). `slot` is the object key while the
 * unit is pending and a unique token once claimed: a plain unique index (FerretDB has no partial
 * ones) then guarantees at most one pending unit per object.
 */
const workUnitSchema = new Schema(
  {
    _id: { type: String, required: true },
    slot: { type: String, required: true, unique: true },
    objectKey: { type: String, required: true },
    objectType: { type: String, required: true },
    objectId: { type: String, required: true },
    portalId: { type: Number },
    status: { type: String, enum: UNIT_STATUSES, required: true },
    firstEventAt: { type: Date },
    lastEventAt: { type: Date },
    dueAt: { type: Date, required: true },
    attempts: { type: Number, default: 0 },
    claimedBy: { type: String },
    leaseUntil: { type: Date },
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
workUnitSchema.index({ status: 1, dueAt: 1 });
workUnitSchema.index({ objectKey: 1, createdAt: -1 });

export type WorkUnitDoc = InferSchemaType<typeof workUnitSchema>;
export const workUnitModel = (conn: Connection) => conn.model('WorkUnit', workUnitSchema, 'work_units');
