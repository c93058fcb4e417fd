import type { AppContext } from '../context.ts';
import { audit } from '../services/audit.ts';
import { authorize } from '../services/rbac.ts';
import { getMode } from '../services/settings.ts';
import { retryRun } from '../../workflows/run-control.ts';
import { newId } from '../ids.ts';
import { addNote, closeException, getException, reopenLapsed, type ExceptionView } from './exceptions.ts';
import { AUTO_REPAIRABLE, describeWrites } from './proposals.ts';
import { recheckException } from './recheck.ts';
import type { PlannedWrite } from './types.ts';
import { canDelete, performWrites } from './writes.ts';

/**
 * Preview / Apply / Ignore / Assign / Retry on an exception. Apply is admin-only, re-reads both
 * systems and refuses when the fix would no longer be the one shown, claims the exception with an
 * atomic open→applying transition (a second click finds it taken: one write), writes through
 * the adapters, and honours dry-run mode. Every decision is audited. The claim is a lease
 * (APPLY_LEASE_MS): if its holder dies before closing, the next Apply or re-detection reopens it.
 */
export type FixCtx = Pick<AppContext, 'models' | 'logger' | 'config' | 'integrations' | 'events'>;

export const AUTO_REPAIR_ACTOR = 'orch:auto-repair';

/** How long a claimed fix may take (writes retry with backoff for a few minutes at most). */
export const APPLY_LEASE_MS = 10 * 60_000;

/** The atomic open→applying claim with a fresh lease; null when someone else holds it. */
async function claim(ctx: FixCtx, id: string, set: Record<string, unknown> = {}): Promise<{ exc: ExceptionView; token: string } | null> {
  const token = newId('lease');
  const lease = { token, until: new Date(Date.now() + APPLY_LEASE_MS) };
  const exc = (await ctx.models.Exception.findOneAndUpdate({ _id: id, status: 'open' }, { $set: { status: 'applying', lease, ...set } }, { returnDocument: 'after' }).lean()) as ExceptionView | null;
  return exc ? { exc, token } : null;
}

/** Gives a claimed exception back (the fix failed): only while this claim still holds it. */
async function unclaim(ctx: FixCtx, id: string, token: string): Promise<void> {
  await ctx.models.Exception.updateOne({ _id: id, status: 'applying', 'lease.token': token }, { $set: { status: 'open' }, $unset: { resolvedBy: 1, lease: 1 } });
}

export type FixRefusal = 'not_found' | 'not_admin' | 'not_open' | 'state_changed' | 'no_longer_reproduces' | 'manual' | 'not_configured' | 'write_failed' | 'reason_required';
export type FixResult =
  | { ok: true; outcome: 'applied' | 'dry_run' | 'ignored' | 'assigned' | 'retried'; exception: ExceptionView; writes?: PlannedWrite[]; message: string }
  | { ok: false; reason: FixRefusal; message: string; exception?: ExceptionView };

export async function previewFix(ctx: FixCtx, id: string): Promise<FixResult> {
  const exc = await getException(ctx.models, id);
  if (!exc) return notFound(id);
  const writes = exc.proposedFix?.writes ?? [];
  const lines = describeWrites(writes);
  const mode = (await getMode(ctx)) === 'live' ? 'live' : 'dry-run (Apply would only show these)';
  const body = lines.length ? lines.map((l) => `• ${l}`).join('\n') : '(no automatic writes: this fix is done by hand)';
  return { ok: true, outcome: 'dry_run', exception: exc, writes, message: `${exc.proposedFix?.summary ?? 'No fix proposed'}\nMode: ${mode}\n${body}` };
}

export interface ApplyInput {
  id: string;
  actor: string;
}

export async function applyFix(ctx: FixCtx, input: ApplyInput): Promise<FixResult> {
  const auto = input.actor === AUTO_REPAIR_ACTOR;
  if (!auto && !(await authorize(ctx.models, input.actor, 'admin', 'exception.apply', input.id))) {
    return { ok: false, reason: 'not_admin', message: 'Only admins can apply fixes.' };
  }
  // A fix whose holder died (lease lapsed) is open again: this Apply may take it.
  await reopenLapsed(ctx.models, { _id: input.id });
  const exc = await getException(ctx.models, input.id);
  if (!exc) return notFound(input.id);
  // Internal auto-repair skips the role check, so the fix itself holds the safe-types rule.
  if (auto && !(AUTO_REPAIRABLE as readonly string[]).includes(exc.type)) {
    await audit(ctx.models, { actor: input.actor, action: 'exception.apply', target: exc._id, outcome: 'refused', reason: `auto-repair does not fix ${exc.type}` });
    return { ok: false, reason: 'manual', exception: exc, message: `Auto-repair only fixes ${AUTO_REPAIRABLE.join(', ')}; ${exc.type} needs a person.` };
  }
  if (exc.status !== 'open') return notOpen(exc);
  if (exc.type === 'integration_error') return retryFailedRun(ctx, exc, input.actor);
  const writes = exc.proposedFix?.writes ?? [];
  if (writes.length === 0) return { ok: false, reason: 'manual', exception: exc, message: `No automatic fix for this exception: ${exc.proposedFix?.summary ?? 'fix it by hand'}.` };
  const { hubspot, airtable } = ctx.integrations;
  if (!airtable) return { ok: false, reason: 'not_configured', exception: exc, message: 'Airtable is not configured (AIRTABLE_API_KEY / AIRTABLE_BASE_ID).' };
  if (writes.some((w) => w.op === 'delete') && !canDelete(airtable)) {
    return { ok: false, reason: 'manual', exception: exc, message: `Delete the row(s) ${writes.map((w) => w.recordId).join(', ')} in Airtable by hand: the Airtable adapter cannot delete records.` };
  }
  const check = await recheckException({ hubspot, airtable }, exc);
  // A concurrent click may have fixed it while we were re-reading: report that, not "gone".
  const now = await getException(ctx.models, exc._id);
  if (now && now.status !== 'open') return notOpen(now);
  if (check.state === 'gone') {
    const closed = await closeException(ctx.models, { id: exc._id, from: ['open'], status: 'resolved', actor: input.actor, resolution: 'no longer reproduces (re-checked before applying)' });
    if (!closed) return notOpen((await getException(ctx.models, exc._id)) ?? exc);
    await audit(ctx.models, { actor: input.actor, action: 'exception.apply', target: exc._id, outcome: 'refused', reason: 'no longer reproduces' });
    return { ok: false, reason: 'no_longer_reproduces', exception: closed, message: 'Nothing to fix any more: the data already agrees. The exception is closed.' };
  }
  if (check.state !== 'same') {
    await audit(ctx.models, { actor: input.actor, action: 'exception.apply', target: exc._id, outcome: 'refused', reason: check.explanation });
    return { ok: false, reason: 'state_changed', exception: exc, message: check.explanation };
  }
  if ((await getMode(ctx)) !== 'live') {
    await audit(ctx.models, { actor: input.actor, action: 'exception.apply', target: exc._id, outcome: 'done', details: { dryRun: true, writes: describeWrites(writes) } });
    return { ok: true, outcome: 'dry_run', exception: exc, writes, message: `Dry-run mode: nothing was written. Live mode would perform:\n${describeWrites(writes).map((l) => `• ${l}`).join('\n')}` };
  }
  return claimAndWrite(ctx, exc, writes, input.actor);
}

async function claimAndWrite(ctx: FixCtx, exc: ExceptionView, writes: PlannedWrite[], actor: string): Promise<FixResult> {
  const claimed = await claim(ctx, exc._id, { resolvedBy: actor });
  if (!claimed) return notOpen((await getException(ctx.models, exc._id)) ?? exc);
  const airtable = ctx.integrations.airtable;
  try {
    if (!airtable) throw new Error('Airtable is not configured');
    await performWrites(airtable, writes);
  } catch (err) {
    const message = (err as Error).message;
    await unclaim(ctx, exc._id, claimed.token);
    await addNote(ctx.models, exc._id, actor, `fix failed: ${message}`);
    await audit(ctx.models, { actor, action: 'exception.apply', target: exc._id, outcome: 'failed', reason: message });
    return { ok: false, reason: 'write_failed', exception: exc, message: `The fix failed and nothing is marked fixed: ${message}` };
  }
  const done = await closeException(ctx.models, { id: exc._id, from: ['applying'], status: 'resolved', actor, resolution: `fixed: ${exc.proposedFix?.summary ?? ''}`, leaseToken: claimed.token });
  await audit(ctx.models, { actor, action: 'exception.apply', target: exc._id, outcome: 'done', details: { writes: describeWrites(writes) } });
  return { ok: true, outcome: 'applied', exception: done ?? exc, writes, message: `Fixed by ${actor}: ${describeWrites(writes).join('; ')}` };
}

export interface IgnoreInput {
  id: string;
  actor: string;
  reason?: string;
}

export async function ignoreException(ctx: FixCtx, input: IgnoreInput): Promise<FixResult> {
  const reason = (input.reason ?? '').trim();
  if (!reason) return { ok: false, reason: 'reason_required', message: 'A reason is required to ignore an exception.' };
  if (!(await authorize(ctx.models, input.actor, 'admin', 'exception.ignore', input.id))) {
    return { ok: false, reason: 'not_admin', message: 'Only admins can ignore exceptions.' };
  }
  // Ignored keeps the open key: re-detection updates it quietly instead of raising it again.
  const now = new Date();
  const exc = (await ctx.models.Exception.findOneAndUpdate(
    { _id: input.id, status: 'open' },
    { $set: { status: 'ignored', resolvedAt: now, resolvedBy: input.actor, resolution: reason }, $push: { notes: { at: now, actor: input.actor, text: `ignored: ${reason}` } } },
    { returnDocument: 'after' },
  ).lean()) as ExceptionView | null;
  if (!exc) {
    const current = await getException(ctx.models, input.id);
    return current ? notOpen(current) : notFound(input.id);
  }
  await audit(ctx.models, { actor: input.actor, action: 'exception.ignore', target: input.id, reason });
  return { ok: true, outcome: 'ignored', exception: exc, message: `Ignored by ${input.actor}: ${reason}` };
}

export async function assignException(ctx: FixCtx, input: { id: string; actor: string }): Promise<FixResult> {
  if (!(await authorize(ctx.models, input.actor, 'operator', 'exception.assign', input.id))) {
    return { ok: false, reason: 'not_admin', message: 'Taking an exception needs the operator or admin role.' };
  }
  const exc = (await ctx.models.Exception.findOneAndUpdate({ _id: input.id }, { $set: { assignee: input.actor } }, { returnDocument: 'after' }).lean()) as ExceptionView | null;
  if (!exc) return notFound(input.id);
  await audit(ctx.models, { actor: input.actor, action: 'exception.assign', target: input.id });
  return { ok: true, outcome: 'assigned', exception: exc, message: `Assigned to ${input.actor}` };
}

/** The Retry action of an integration_error: the engine continues the run from its checkpoint. */
async function retryFailedRun(ctx: FixCtx, exc: ExceptionView, actor: string): Promise<FixResult> {
  const claimed = await claim(ctx, exc._id);
  if (!claimed) return notOpen(exc);
  const ok = await retryRun(ctx, exc.objectId, actor);
  if (!ok) {
    await unclaim(ctx, exc._id, claimed.token);
    const run = await ctx.models.Run.findOne({ _id: exc.objectId }, { status: 1 }).lean();
    return { ok: false, reason: 'state_changed', exception: exc, message: `Run ${exc.objectId} is ${run?.status ?? 'gone'}, not FAILED: nothing to retry.` };
  }
  const done = await closeException(ctx.models, { id: exc._id, from: ['applying'], status: 'resolved', actor, resolution: `retried by ${actor}`, leaseToken: claimed.token });
  await audit(ctx.models, { actor, action: 'exception.retry', target: exc._id, details: { runId: exc.objectId } });
  return { ok: true, outcome: 'retried', exception: done ?? exc, message: `Run ${exc.objectId} is queued again (PENDING).` };
}

function notFound(id: string): FixResult {
  return { ok: false, reason: 'not_found', message: `No exception ${id}.` };
}

function notOpen(exc: ExceptionView): FixResult {
  const by = exc.resolvedBy ? ` by ${exc.resolvedBy}` : '';
  const what = exc.status === 'applying' ? `already being fixed${by}` : `already ${exc.status}${by}`;
  return { ok: false, reason: 'not_open', exception: exc, message: `This exception is ${what}.` };
}
