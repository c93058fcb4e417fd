/**
 * What the App Home and `/orch status` show, computed in one pass and kept as an in-memory
 * snapshot per instance. Readers get the snapshot at once; a stale one is recomputed in the
 * background (single flight), so at 100k runs a Home publish never waits on a collection scan.
 */
import type { AppContext } from '../context.ts';
import { computeKpis, loadKpiRows, type KpiApproval, type KpiException, type KpiRun, type Kpis } from './kpis.ts';

export interface QueueDepths {
  pendingUnits: number | null;
  pendingRuns: number;
  runningRuns: number;
  pendingApprovals: number;
  openExceptions: number;
}

export interface Dashboard {
  computedAt: Date;
  tookMs: number;
  kpis: Kpis;
  pendingApprovals: KpiApproval[];
  openExceptions: KpiException[];
  recentFailures: KpiRun[];
  /** Newest runs first (at most RECENT_RUNS), so the first page of `/orch runs` needs no scan. */
  recentRuns: KpiRun[];
  /** True when recentRuns holds every run of the last 8 days (nothing was cut). */
  recentRunsComplete: boolean;
  queue: QueueDepths;
}

export type DashboardCtx = Pick<AppContext, 'config' | 'models' | 'logger'>;

export const RECENT_RUNS = 2000;
const LIST = 10;

export async function computeDashboard(ctx: DashboardCtx, now = new Date()): Promise<Dashboard> {
  const t0 = performance.now();
  const rows = await loadKpiRows(ctx, now);
  const pendingUnits = await countPendingUnits(ctx);
  const byNewest = [...rows.runs].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a._id < b._id ? 1 : -1));
  const pending = rows.approvals.filter((a) => a.status === 'PENDING').sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime());
  const open = rows.exceptions.filter((e) => e.status === 'open').sort((a, b) => (b.lastSeenAt ?? b.firstSeenAt).getTime() - (a.lastSeenAt ?? a.firstSeenAt).getTime());
  const count = (s: string) => rows.runs.reduce((n, r) => n + (r.status === s ? 1 : 0), 0);
  return {
    computedAt: now,
    tookMs: Math.round(performance.now() - t0),
    kpis: computeKpis({ ...rows, now, tz: ctx.config.ORCH_TZ, slaMs: ctx.config.ORCH_SLA }),
    pendingApprovals: pending.slice(0, LIST),
    openExceptions: open.slice(0, LIST),
    recentFailures: byNewest.filter((r) => r.status === 'FAILED').slice(0, 5),
    recentRuns: byNewest.slice(0, RECENT_RUNS),
    recentRunsComplete: byNewest.length <= RECENT_RUNS,
    queue: { pendingUnits, pendingRuns: count('PENDING'), runningRuns: count('RUNNING'), pendingApprovals: pending.length, openExceptions: open.length },
  };
}

/** Units waiting: debounce windows not yet processed plus units waiting for another enrichment attempt. */
async function countPendingUnits(ctx: DashboardCtx): Promise<number | null> {
  const models = ctx.models as Record<string, unknown>;
  const WorkUnit = models.WorkUnit as DashboardCtx['models']['Run'] | undefined;
  const PendingUnit = models.PendingUnit as DashboardCtx['models']['Run'] | undefined;
  if (!WorkUnit || !PendingUnit) return null;
  const [windows, retrying] = await Promise.all([PendingUnit.countDocuments({} as never), WorkUnit.countDocuments({ status: 'pending' } as never)]);
  return windows + retrying;
}

interface Cache {
  snap?: Dashboard;
  inflight?: Promise<Dashboard>;
  dirty: boolean;
  listeners: Set<(d: Dashboard) => void>;
}
const caches = new WeakMap<object, Cache>();

function cacheOf(ctx: DashboardCtx): Cache {
  let c = caches.get(ctx.models);
  if (!c) {
    c = { dirty: true, listeners: new Set() };
    caches.set(ctx.models, c);
  }
  return c;
}

/**
 * Recomputes once even when asked many times at the same moment. Unless forced, a recompute is
 * skipped while the snapshot is younger than twice its own computation time, so a busy system on a
 * slow database spends at most about half its time rebuilding the dashboard.
 */
export function refreshDashboard(ctx: DashboardCtx, opts: { force?: boolean } = {}): Promise<Dashboard> {
  const c = cacheOf(ctx);
  if (c.inflight) return c.inflight;
  if (!opts.force && c.snap && Date.now() - c.snap.computedAt.getTime() < 2 * c.snap.tookMs) return Promise.resolve(c.snap);
  c.dirty = false;
  c.inflight = computeDashboard(ctx)
    .then((d) => {
      c.snap = d;
      ctx.logger.info('dashboard snapshot computed', { tookMs: d.tookMs, runs: d.recentRuns.length, complete: d.recentRunsComplete });
      for (const l of c.listeners) l(d);
      return d;
    })
    .finally(() => {
      c.inflight = undefined;
    });
  return c.inflight;
}

export interface GetOptions {
  /** Younger than this and not marked dirty: served as is. */
  freshMs?: number;
  /** Younger than this: served at once while a recompute runs in the background. */
  staleMs?: number;
}

/** The snapshot, fresh enough for a reader; waits for a recompute only when there is none or it is very old. */
export async function getDashboard(ctx: DashboardCtx, opts: GetOptions = {}): Promise<Dashboard> {
  const freshMs = opts.freshMs ?? 5_000;
  const staleMs = opts.staleMs ?? 120_000;
  const c = cacheOf(ctx);
  const age = c.snap ? Date.now() - c.snap.computedAt.getTime() : Infinity;
  if (c.snap && age < freshMs && !c.dirty) return c.snap;
  if (c.snap && age < staleMs) {
    void refreshDashboard(ctx).catch((err) => ctx.logger.warn('dashboard refresh failed', { error: (err as Error).message }));
    return c.snap;
  }
  return refreshDashboard(ctx, { force: true });
}

/** Marks the snapshot out of date (something changed); the next reader triggers a recompute. */
export function markDashboardDirty(ctx: DashboardCtx): void {
  cacheOf(ctx).dirty = true;
}

/** Called after every recompute (the App Home re-publishes for recent viewers). */
export function onDashboard(ctx: DashboardCtx, listener: (d: Dashboard) => void): () => void {
  const c = cacheOf(ctx);
  c.listeners.add(listener);
  return () => c.listeners.delete(listener);
}
