import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/** Named approver groups (`"from": "group:finance"`), managed with `/orch group add|remove|list`. */
const groupSchema = new Schema(
  {
    name: { type: String, required: true, unique: true },
    members: { type: [String], default: [] },
    updatedBy: { type: String },
  },
  { timestamps: true, versionKey: false },
);

export type ApproverGroupDoc = InferSchemaType<typeof groupSchema>;
export const approverGroupModel = (conn: Connection) => conn.model('ApproverGroup', groupSchema, 'approver_groups');

/** `/orch delegate @user [until …]`: while set (and not past `until`), the approvals asking `from` ask `to`. */
const delegationSchema = new Schema(
  {
    from: { type: String, required: true, unique: true },
    to: { type: String, required: true },
    until: { type: Date },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
delegationSchema.index({ to: 1 });

export type DelegationDoc = InferSchemaType<typeof delegationSchema>;
export const delegationModel = (conn: Connection) => conn.model('Delegation', delegationSchema, 'delegations');
