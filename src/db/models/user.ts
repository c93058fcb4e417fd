import { Schema, type Connection, type InferSchemaType } from 'mongoose';

export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const userSchema = new Schema(
  {
    slackUserId: { type: String, required: true, unique: true },
    role: { type: String, enum: ROLES, required: true, default: 'viewer' },
    email: { type: String },
    addedBy: { type: String },
  },
  { timestamps: true },
);

export type UserDoc = InferSchemaType<typeof userSchema>;
export const userModel = (conn: Connection) => conn.model('User', userSchema, 'users');
