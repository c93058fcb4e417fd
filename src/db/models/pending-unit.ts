import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/**
 * The debounce window of one HubSpot object (`_id` = `objectType:objectId`): at most one per object
 * by construction. Claimed atomically (claimedBy + leaseUntil) by the worker that processes it; a
 * claim whose lease expired (crashed worker) is taken again.
 */
const pendingUnitSchema = new Schema(
  {
    _id: { type: String, required: true },
    objectType: { type: String, required: true },
    objectId: { type: String, required: true },
    portalId: { type: Number },
    firstEventAt: { type: Date, required: true },
    lastEventAt: { type: Date, required: true },
    dueAt: { type: Date, required: true },
    attempts: { type: Number, default: 0 },
    unitId: { type: String },
    claimedBy: { type: String },
    claimedAt: { type: Date },
    leaseUntil: { type: Date },
  },
  { timestamps: false, versionKey: false },
);

export type PendingUnitDoc = InferSchemaType<typeof pendingUnitSchema>;
export const pendingUnitModel = (conn: Connection) => conn.model('PendingUnit', pendingUnitSchema, 'pending_units');

/**
 * Objects of acknowledged batches, written right after the batch's events (one small document per
 * request, so the 200 costs no per-object write). Workers fold it into pending_units and delete it.
 */
const ingestInboxSchema = new Schema(
  {
    _id: { type: String, required: true },
    receivedAt: { type: Date, required: true },
    objects: { type: [{ _id: false, t: String, i: String, p: Number }], default: [] },
  },
  { timestamps: false, versionKey: false },
);

export type IngestInboxDoc = InferSchemaType<typeof ingestInboxSchema>;
export const ingestInboxModel = (conn: Connection) => conn.model('IngestInbox', ingestInboxSchema, 'ingest_inbox');

/** Which instance runs the ingest worker: a lease (`_id: 'worker'`) renewed by its holder, taken over once expired. */
const ingestLockSchema = new Schema(
  {
    _id: { type: String, required: true },
    token: { type: String, required: true },
    until: { type: Date, required: true },
  },
  { timestamps: false, versionKey: false },
);

export const ingestLockModel = (conn: Connection) => conn.model('IngestLock', ingestLockSchema, 'ingest_locks');
