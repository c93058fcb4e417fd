import { Schema, type Connection, type InferSchemaType } from 'mongoose';

/**
 * Personal API tokens (issue 13): bound to one Slack user, stored only as a SHA-256 hash of the
 * secret. One live name per user (unique index); revoking deletes the document, so a revoked token
 * can never authenticate again (the audit log keeps the history).
 */
const apiTokenSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    userId: { type: String, required: true },
    /** The owner's role when the token was made (shown in lists); requests use the role held now. */
    role: { type: String, required: true },
    hash: { type: String, required: true, unique: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    lastUsedAt: { type: Date },
  },
  { versionKey: false },
);
apiTokenSchema.index({ userId: 1, name: 1 }, { unique: true });

export type ApiTokenDoc = InferSchemaType<typeof apiTokenSchema>;
export const apiTokenModel = (conn: Connection) => conn.model('ApiToken', apiTokenSchema, 'api_tokens');
