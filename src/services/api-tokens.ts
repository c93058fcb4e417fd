import { createHash, randomBytes } from 'node:crypto';
import type { Models } from '../db/models/index.ts';
import type { Role } from '../db/models/user.ts';
import { newId } from '../ids.ts';
import { audit } from './audit.ts';

/**
 * Personal API tokens: the secret is shown once and stored only as its SHA-256 hash; a request
 * carrying it acts as the token's user (src/http/api-auth.ts).
 */
type TokenModels = Pick<Models, 'ApiToken' | 'AuditEntry'>;

export const TOKEN_PREFIX = 'orch_pat_';
export const TOKEN_NAME = /^[a-z0-9][a-z0-9._-]{0,39}$/i;

export interface TokenView {
  name: string;
  role: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
}

export interface TokenOwner {
  tokenId: string;
  name: string;
  userId: string;
}

export const hashToken = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

export type CreateResult = { ok: true; secret: string; token: TokenView } | { ok: false; reason: 'invalid_name' | 'exists'; message: string };

/** One live token per (user, name); an expired one of the same name is replaced. */
export async function createToken(models: TokenModels, input: { userId: string; role: Role; name: string; ttlMs: number; now?: Date }): Promise<CreateResult> {
  if (!TOKEN_NAME.test(input.name)) return { ok: false, reason: 'invalid_name', message: 'A token name is 1-40 letters, digits, dots, dashes or underscores.' };
  const now = input.now ?? new Date();
  await models.ApiToken.deleteOne({ userId: input.userId, name: input.name, expiresAt: { $lte: now } });
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const doc = { _id: newId('tok'), name: input.name, userId: input.userId, role: input.role, hash: hashToken(secret), createdAt: now, expiresAt: new Date(now.getTime() + input.ttlMs) };
  try {
    await models.ApiToken.create(doc);
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return { ok: false, reason: 'exists', message: `You already have a token named \`${input.name}\`: revoke it first, or pick another name.` };
    throw err;
  }
  await audit(models, { actor: input.userId, action: 'api_token.create', target: doc._id, details: { name: input.name, expiresAt: doc.expiresAt } });
  return { ok: true, secret, token: { name: doc.name, role: doc.role, createdAt: now, expiresAt: doc.expiresAt, lastUsedAt: null } };
}

export async function listTokens(models: TokenModels, userId: string): Promise<TokenView[]> {
  const docs = await models.ApiToken.find({ userId }, { hash: 0 }).sort({ createdAt: 1 }).limit(100).lean();
  return docs.map((d) => ({ name: d.name, role: d.role, createdAt: d.createdAt, expiresAt: d.expiresAt, lastUsedAt: d.lastUsedAt ?? null }));
}

/** Deletes the token: from then on it answers 401. */
export async function revokeToken(models: TokenModels, userId: string, name: string): Promise<boolean> {
  const doc = await models.ApiToken.findOneAndDelete({ userId, name }).lean();
  if (!doc) return false;
  await audit(models, { actor: userId, action: 'api_token.revoke', target: doc._id, details: { name } });
  return true;
}

export type ResolveResult = { ok: true; owner: TokenOwner } | { ok: false; reason: 'unknown_token' | 'expired_token' };

/** The owner of a presented secret, or why it does not authenticate. */
export async function resolveToken(models: Pick<Models, 'ApiToken'>, secret: string, now = new Date()): Promise<ResolveResult> {
  const doc = await models.ApiToken.findOne({ hash: hashToken(secret) }).lean();
  if (!doc) return { ok: false, reason: 'unknown_token' };
  if (doc.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired_token' };
  // Best effort and at most once a minute per token: a read must not wait on it.
  if (!doc.lastUsedAt || now.getTime() - doc.lastUsedAt.getTime() > 60_000) {
    void models.ApiToken.updateOne({ _id: doc._id }, { $set: { lastUsedAt: now } }).catch(() => undefined);
  }
  return { ok: true, owner: { tokenId: doc._id, name: doc.name, userId: doc.userId } };
}
