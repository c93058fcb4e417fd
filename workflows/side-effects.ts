import { IntegrationError } from '../src/integrations/errors.ts';
import { MIRROR_ID_FIELD, MIRROR_TABLE, toMirrorFields } from '../src/reconcile/mirror-fields.ts';
import { WorkflowError } from './errors.ts';
import type { WorkflowDeps } from './types.ts';

/**
 * Helpers for the writes of contact-role-mapping and deal-stage-kickoff that are not upserts by
 * themselves: a posted Slack file or DM (claimed once per run), the Accounts row a link needs
 * (created through the company mirror's own field map), and the thread reply.
 */
const EFFECTS = 'workflow_effects';

interface EffectDoc {
  _id: string;
  runId: string;
  effect: string;
  status: 'started' | 'done';
  result?: Record<string, unknown>;
  at: Date;
}

function effects(deps: WorkflowDeps) {
  return deps.ctx.models.Approval.db.collection<EffectDoc>(EFFECTS);
}

/**
 * Runs `fn` at most once per run and effect: the claim is a unique insert (`_id` = run:effect),
 * so a replayed node or a second instance finds it and gets the stored result instead. A crash
 * between the claim and the result leaves `started`: it is not repeated (a lost DM is better than
 * two invitations) and the caller is told with `{ unknown: true }`.
 */
export async function once<T extends Record<string, unknown>>(deps: WorkflowDeps, runId: string, effect: string, fn: () => Promise<T>): Promise<T | { unknown: true }> {
  const _id = `${runId}:${effect}`;
  try {
    await effects(deps).insertOne({ _id, runId, effect, status: 'started', at: new Date() });
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    const prev = await effects(deps).findOne({ _id });
    if (prev?.status === 'done') return (prev.result ?? {}) as T;
    return { unknown: true };
  }
  try {
    const result = await fn();
    await effects(deps).updateOne({ _id, status: 'started' }, { $set: { status: 'done', result, at: new Date() } });
    return result;
  } catch (err) {
    // Nothing was done: drop the claim so a retry of the step may try again.
    await effects(deps).deleteOne({ _id, status: 'started' });
    throw err;
  }
}

/** The company's Accounts row id; created first (same fields as company intake writes) when missing. */
export async function ensureAccountRow(deps: WorkflowDeps, company: { id: string; properties: Record<string, unknown> }, runId: string): Promise<{ id: string; created: boolean }> {
  const airtable = deps.integrations.airtable;
  if (!airtable) throw new WorkflowError('configuration', 'Airtable is not configured: cannot link the Accounts row');
  const found = await airtable.findByField(MIRROR_TABLE, MIRROR_ID_FIELD, company.id);
  if (found[0]) return { id: found[0].id, created: false };
  const res = await airtable.upsertBy(MIRROR_TABLE, MIRROR_ID_FIELD, toMirrorFields(company.id, company.properties));
  await deps.integrations.lineage.recordWrite({ runId, system: 'airtable', recordId: res.id, op: res.created ? 'create' : 'update' });
  return { id: res.id, created: res.created };
}

/** Posts `text` once in the approval's thread (the replyTs slot is claimed first, as report.ts does). */
export async function replyInThread(deps: WorkflowDeps, approvalId: string | null, runId: string, text: string): Promise<void> {
  if (!approvalId) return;
  const { Approval } = deps.ctx.models;
  const claimed = (await Approval.findOneAndUpdate(
    { _id: approvalId, 'slack.ts': { $exists: true }, 'slack.replyTs': { $exists: false } },
    { $set: { 'slack.replyTs': 'posting' } },
    { returnDocument: 'after', lean: true },
  )) as { slack?: { ts?: string | null; channel?: string | null } | null } | null;
  if (!claimed?.slack?.ts || !claimed.slack.channel) return;
  try {
    const res = await deps.ctx.slack.chat.postMessage({ channel: claimed.slack.channel, thread_ts: claimed.slack.ts, text, unfurl_links: false });
    await Approval.updateOne({ _id: approvalId }, { $set: { 'slack.replyTs': res.ts } });
  } catch (err) {
    deps.ctx.logger.warn('could not post the outcome in the approval thread', { runId, error: (err as Error).message });
  }
}

/** The chosen option stored with the decision (blocks/approval-choice.ts), if any. */
export async function chosenOption(deps: WorkflowDeps, approvalId: string): Promise<string | null> {
  const a = (await deps.ctx.models.Approval.findById(approvalId, { chosen: 1 }).lean()) as { chosen?: string | null } | null;
  return a?.chosen ?? null;
}

/** A HubSpot object that no longer exists (404) ends the run as skipped, recorded on it; other errors propagate. */
export async function readOrSkip<T>(fn: () => Promise<T | null>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof IntegrationError && err.kind === 'not_found') return null;
    throw err;
  }
}
