import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Models } from '../db/models/index.ts';
import type { Logger } from '../logger.ts';
import type { Lineage } from '../integrations/lineage.ts';
import type { PolicySnapshot } from '../../workflows/policy-eval.ts';
import { audit } from './audit.ts';

/**
 * Versioned policies. The seed file is read on first start only; after that MongoDB is the
 * source of truth and a change is a new version (validFrom), never an in-place edit.
 */
/** N approvals from the admins, a list of Slack user ids, or `group:<name>` (workflows/approval-requirement.ts). */
const approvalLevelSchema = z.object({
  required: z.number().int().min(1).max(20),
  from: z.union([z.literal('admins'), z.array(z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id')).min(1).max(50), z.string().regex(/^group:[a-z0-9][a-z0-9_-]{0,39}$/i, 'group:<name>')]),
});
const ruleSchema = z.object({
  id: z.string().min(1),
  description: z.string().optional(),
  when: z.object({ field: z.string().min(1), op: z.enum(['gt', 'gte', 'lt', 'lte', 'eq', 'in', 'changed']), value: z.unknown() }),
  level: z.enum(['LOW', 'MEDIUM', 'HIGH']).optional(),
  requiresApproval: z.boolean().optional(),
  approvals: approvalLevelSchema.optional(),
  levels: z.array(approvalLevelSchema).min(1).max(5).optional(),
});

export const policyInputSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  rules: z.array(ruleSchema),
  thresholds: z.record(z.string(), z.unknown()).default({}),
  validFrom: z.coerce.date().optional(),
});
export type PolicyInput = z.input<typeof policyInputSchema>;

const seedFileSchema = z.object({ policies: z.array(policyInputSchema) });

export const DEFAULT_POLICIES_FILE = new URL('../../workflows/policies.json', import.meta.url);

type PolicyModels = Pick<Models, 'Policy'>;

/** Inserts version 1 of every policy that has no version yet; idempotent (unique name+version). */
export async function seedPolicies(models: PolicyModels, logger: Logger, file: URL | string = DEFAULT_POLICIES_FILE): Promise<number> {
  const parsed = seedFileSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  let seeded = 0;
  for (const p of parsed.policies) {
    const res = await models.Policy.updateOne(
      { name: p.name, version: 1 },
      { $setOnInsert: { ...p, version: 1, validFrom: new Date(0), createdBy: 'seed' } },
      { upsert: true },
    );
    // Only when no version at all exists do we count it as seeded; later versions stay untouched.
    if (res.upsertedCount) seeded += 1;
  }
  if (seeded) logger.info('policies seeded', { count: seeded });
  return seeded;
}

function toSnapshot(doc: Record<string, unknown>): PolicySnapshot {
  return {
    name: String(doc.name),
    version: Number(doc.version),
    description: doc.description as string | undefined,
    rules: (doc.rules as PolicySnapshot['rules']) ?? [],
    thresholds: (doc.thresholds as Record<string, unknown>) ?? {},
    validFrom: doc.validFrom instanceof Date ? doc.validFrom.toISOString() : String(doc.validFrom ?? ''),
  };
}

/** The version in force at `at`: validFrom <= at and (no validTo or validTo > at), highest version wins. */
export async function policyInForce(models: PolicyModels, name: string, at: Date = new Date()): Promise<PolicySnapshot | null> {
  const docs = await models.Policy.find({ name, validFrom: { $lte: at } }).sort({ version: -1 }).limit(20).lean();
  const doc = docs.find((d) => !d.validTo || d.validTo > at);
  return doc ? toSnapshot(doc as unknown as Record<string, unknown>) : null;
}

export async function listPolicies(models: PolicyModels, name?: string): Promise<(PolicySnapshot & { validTo?: string })[]> {
  const docs = await models.Policy.find(name ? { name } : {}).sort({ name: 1, version: -1 }).limit(500).lean();
  return docs.map((d) => ({ ...toSnapshot(d as unknown as Record<string, unknown>), ...(d.validTo ? { validTo: d.validTo.toISOString() } : {}) }));
}

/** A stored version with its validity and author, as `/orch policy --as-of` shows it. */
export type PolicyVersion = PolicySnapshot & { validTo: string | null; createdBy: string | null };

function toVersion(doc: Record<string, unknown>): PolicyVersion {
  const validTo = doc.validTo instanceof Date ? doc.validTo.toISOString() : null;
  return { ...toSnapshot(doc), validTo, createdBy: (doc.createdBy as string | undefined) ?? null };
}

/** Like policyInForce, with validTo and createdBy (the MongoDB answer when lineage is off). */
export async function policyVersionAt(models: PolicyModels, name: string, at: Date): Promise<PolicyVersion | null> {
  const docs = await models.Policy.find({ name, validFrom: { $lte: at } }).sort({ version: -1 }).limit(20).lean();
  const doc = docs.find((d) => !d.validTo || d.validTo > at);
  return doc ? toVersion(doc as unknown as Record<string, unknown>) : null;
}

/** One version by name and number (the snapshot an approval names), or null. */
export async function policyVersion(models: PolicyModels, name: string, version: number): Promise<PolicyVersion | null> {
  const doc = await models.Policy.findOne({ name, version }).lean();
  return doc ? toVersion(doc as unknown as Record<string, unknown>) : null;
}

/** Copies every version (or those of `name`) into the lineage graph with its validity; idempotent. */
export async function syncPoliciesToLineage(models: PolicyModels, lineage: Pick<Lineage, 'enabled' | 'recordPolicy'>, name?: string): Promise<number> {
  if (!lineage.enabled) return 0;
  const docs = await models.Policy.find(name ? { name } : {}).sort({ name: 1, version: 1 }).limit(1000).lean();
  let n = 0;
  for (const d of docs) {
    const ok = await lineage.recordPolicy({ name: d.name, version: d.version, validFrom: d.validFrom, validTo: d.validTo ?? null, createdBy: d.createdBy ?? null, description: d.description ?? null, rules: (d.rules as unknown[]) ?? [], thresholds: (d.thresholds as Record<string, unknown>) ?? {} });
    if (ok) n += 1;
  }
  return n;
}

/** Adds the next version; the previous open version closes where the new one starts. */
/** `auditDetails` go into the version's audit entry (e.g. the backtest a version was saved from). */
export async function addPolicyVersion(
  models: Pick<Models, 'Policy' | 'AuditEntry'>,
  input: PolicyInput,
  actor: string,
  lineage?: Pick<Lineage, 'enabled' | 'recordPolicy'>,
  auditDetails: Record<string, unknown> = {},
): Promise<PolicySnapshot> {
  const p = policyInputSchema.parse(input);
  const validFrom = p.validFrom ?? new Date();
  const latest = await models.Policy.findOne({ name: p.name }).sort({ version: -1 }).lean();
  const version = (latest?.version ?? 0) + 1;
  const doc = await models.Policy.create({ ...p, version, validFrom, createdBy: actor });
  await models.Policy.updateMany({ name: p.name, version: { $lt: version }, validTo: { $exists: false }, validFrom: { $lt: validFrom } }, { $set: { validTo: validFrom } });
  await audit(models, { actor, action: 'policy.version_added', target: `${p.name}@${version}`, details: { ...auditDetails, validFrom: validFrom.toISOString() } });
  // The new node and the closed interval of the previous version (lineage is best-effort).
  if (lineage) await syncPoliciesToLineage(models, lineage, p.name);
  return toSnapshot(doc.toObject() as unknown as Record<string, unknown>);
}
