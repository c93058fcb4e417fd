import { hostname } from 'node:os';
import type { AppContext } from '../context.ts';
import { newId } from '../ids.ts';
import { getMode } from '../services/settings.ts';
import type { ReconcileSummaryInput } from '../../blocks/reconcile-summary.ts';
import { scanFailedRuns, recordFailedRun } from './dlq.ts';
import type { ExceptionView } from './exceptions.ts';
import { applyFix, AUTO_REPAIR_ACTOR } from './fixes.ts';
import { withLock } from './lock.ts';
import { reconcileMetrics } from './metrics.ts';
import { postExceptionCards, postSummary } from './notify.ts';
import { AUTO_REPAIRABLE } from './proposals.ts';
import { runFullReconciliation, runScopedReconciliation, type ReconcileDeps, type ReconcileOutcome, type ReconcileTrigger } from './run.ts';

/**
 * What jobs, `/orch reconcile` and the API call: one reconciliation at a time across instances
 * (lock document), then dead letters, safe auto-repair, and the Slack summary and cards.
 */
export type ReconcileCtx = Pick<AppContext, 'config' | 'logger' | 'models' | 'integrations' | 'slack' | 'metrics' | 'events' | 'lifecycle'>;

export const LOCK_TTL_MS = 5 * 60_000;
export const AUTO_REPAIR_POLICY = 'reconcile-auto-repair';
const instance = `${hostname()}:${process.pid}`;

export type ReconcileNowResult = (ReconcileOutcome & { autoRepaired: number }) | { status: 'busy' } | { status: 'not_configured'; message: string };

function deps(ctx: ReconcileCtx): ReconcileDeps | null {
  const { hubspot, airtable } = ctx.integrations;
  if (!airtable) return null;
  return { hubspot, airtable, models: ctx.models, logger: ctx.logger, signal: ctx.lifecycle.signal };
}

export async function reconcileNow(ctx: ReconcileCtx, opts: { trigger: ReconcileTrigger; actor?: string }): Promise<ReconcileNowResult> {
  const d = deps(ctx);
  if (!d) return { status: 'not_configured', message: 'Airtable is not configured (AIRTABLE_API_KEY / AIRTABLE_BASE_ID): there is no mirror to reconcile.' };
  const holder = `${instance}:${newId('lock', 6)}`;
  const result = await withLock(ctx.models, holder, LOCK_TTL_MS, async () => {
    const outcome = await runFullReconciliation(d, { trigger: opts.trigger, ...(opts.actor ? { actor: opts.actor } : {}), instance });
    const dlq = await scanFailedRuns(ctx).catch((err: Error) => {
      ctx.logger.error('dead-letter scan failed', { error: err.message });
      return { opened: [] as ExceptionView[], closed: 0 };
    });
    const repaired = outcome.status === 'completed' ? await autoRepair(ctx, outcome.opened) : { applied: [], failed: 0 };
    await ctx.models.ReconcileReport.updateOne({ _id: outcome.reportId }, { $set: { fixes: { applied: repaired.applied.length, failed: repaired.failed } } });
    const report = (await ctx.models.ReconcileReport.findOne({ _id: outcome.reportId }).lean()) as ReconcileSummaryInput | null;
    observe(ctx, opts.trigger, outcome, report?.durationMs, repaired);
    if (report) await postSummary(ctx, report);
    const fixed = new Set(repaired.applied);
    await postExceptionCards(ctx, [...outcome.opened.filter((e) => !fixed.has(e._id)), ...dlq.opened]);
    return { ...outcome, autoRepaired: repaired.applied.length };
  });
  return result ?? { status: 'busy' };
}

/** The after-write check: one company, the written fields; new exceptions get their cards. */
export async function reconcileCompany(ctx: ReconcileCtx, opts: { hubspotId: string; fields?: string[] }): Promise<ReconcileNowResult> {
  const d = deps(ctx);
  if (!d) return { status: 'not_configured', message: 'Airtable is not configured: nothing to check.' };
  const outcome = await runScopedReconciliation(d, { hubspotId: opts.hubspotId, ...(opts.fields ? { fields: opts.fields } : {}) });
  const repaired = outcome.status === 'completed' ? await autoRepair(ctx, outcome.opened) : { applied: [], failed: 0 };
  const fixed = new Set(repaired.applied);
  await postExceptionCards(ctx, outcome.opened.filter((e) => !fixed.has(e._id)));
  return { ...outcome, autoRepaired: repaired.applied.length };
}

function observe(ctx: ReconcileCtx, trigger: string, outcome: ReconcileOutcome, durationMs: number | undefined, repaired: { applied: string[]; failed: number }): void {
  const m = reconcileMetrics(ctx.metrics.registry);
  m.runs.inc({ trigger, status: outcome.status });
  for (const [type, n] of Object.entries(outcome.findingsByType)) if (n) m.findings.inc({ type }, n);
  if (durationMs !== undefined) m.duration.observe(durationMs / 1000);
  if (repaired.applied.length) m.autoRepairs.inc({ outcome: 'applied' }, repaired.applied.length);
  if (repaired.failed) m.autoRepairs.inc({ outcome: 'refused' }, repaired.failed);
}

/** Exception types the policy in force lets orch fix by itself (none unless a policy says so). */
export async function autoRepairTypes(ctx: Pick<AppContext, 'models'>): Promise<string[]> {
  const now = new Date();
  const policy = await ctx.models.Policy.findOne({ name: AUTO_REPAIR_POLICY, validFrom: { $lte: now }, $or: [{ validTo: { $exists: false } }, { validTo: null }, { validTo: { $gt: now } }] })
    .sort({ version: -1 })
    .lean();
  const allowed = (policy?.thresholds as { autoRepair?: unknown } | undefined)?.autoRepair;
  return Array.isArray(allowed) ? allowed.filter((t): t is string => typeof t === 'string' && (AUTO_REPAIRABLE as readonly string[]).includes(t)) : [];
}

/** Live mode only; each repair goes through Apply (re-check, claim, audit) as `orch:auto-repair`. */
export async function autoRepair(ctx: ReconcileCtx, opened: readonly ExceptionView[]): Promise<{ applied: string[]; failed: number }> {
  if (opened.length === 0 || (await getMode(ctx)) !== 'live') return { applied: [], failed: 0 };
  const types = await autoRepairTypes(ctx);
  const applied: string[] = [];
  let failed = 0;
  for (const e of opened.filter((x) => types.includes(x.type))) {
    const res = await applyFix(ctx, { id: e._id, actor: AUTO_REPAIR_ACTOR });
    if (res.ok) applied.push(e._id);
    else {
      failed++;
      ctx.logger.warn('auto-repair refused', { exceptionId: e._id, reason: res.reason, message: res.message });
    }
  }
  return { applied, failed };
}

/** Turns 'run.finished' FAILED hints into dead-letter exceptions with a card each. */
export function listenForFailedRuns(ctx: ReconcileCtx): void {
  ctx.events.on('run.finished', (runId, status) => {
    if (status !== 'FAILED') return;
    void recordFailedRun(ctx, runId)
      // The card only: the run's one DM comes from reportFailedRun (workflows/failure-alert.ts).
      .then((res) => (res?.isNew ? postExceptionCards(ctx, [res.exception], { dm: false }) : undefined))
      .catch((err: Error) => ctx.logger.error('could not dead-letter a failed run', { runId, error: err.message }));
  });
}
