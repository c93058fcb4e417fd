/**
 * Operations KPIs for the App Home: pure helpers over plain rows, plus the bounded queries that
 * load those rows. Percentiles ($percentile needs MongoDB 7) and joins are done here, in memory, on
 * one bounded week of rows, so the queries are plain find + projection on every supported version.
 */
import type { AppContext } from '../context.ts';
import type { RunRow } from '../../blocks/run-list.ts';

/** A run row as the run list shows it, plus what the KPIs need. */
export interface KpiRun extends RunRow {
  approvalWaitMs?: number | null;
  retried?: boolean | null;
  attempts?: number | null;
}
export interface KpiApproval {
  _id: string;
  runId: string;
  status: string;
  title?: string | null;
  workflowId?: string;
  objectType?: string;
  objectId?: string;
  requestedAt: Date;
  decidedAt?: Date | null;
}
export interface KpiException {
  _id: string;
  runId?: string | null;
  status: string;
  type?: string;
  severity?: string;
  title?: string | null;
  objectType?: string;
  objectId?: string;
  firstSeenAt: Date;
  lastSeenAt?: Date;
}

export interface WindowKpis {
  runs: number;
  byStatus: Record<string, number>;
  finished: number;
  firstPass: number;
  /** firstPass / finished, 0..1; null when nothing finished. */
  firstPassYield: number | null;
  exceptions: number;
  /** exceptions opened / runs started, 0..1; null without runs. */
  exceptionRate: number | null;
  approvalsDecided: number;
  approvalP50Ms: number | null;
  approvalP95Ms: number | null;
  slaMet: number;
  slaEligible: number;
  /** completed runs whose working time (approval wait excluded) fits ORCH_SLA, 0..1. */
  slaAdherence: number | null;
}

export interface Kpis {
  today: WindowKpis;
  week: WindowKpis;
  /** Runs started per day, oldest first, 7 entries ending today. */
  volume: { day: string; runs: number }[];
  sparkline: string;
}

export const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const BARS = '▁▂▃▄▅▆▇█';

/** The calendar day of `d` in `tz`, as YYYY-MM-DD (en-CA formats dates that way). */
export function dayKey(d: Date, tz = 'UTC'): string {
  return d.toLocaleDateString('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
}

/** The last `n` day keys ending with the day of `now`, oldest first. */
export function lastDays(now: Date, n: number, tz = 'UTC'): string[] {
  const keys: string[] = [];
  // Step back in 24 h hops from noon-ish local time is unsafe across DST; dedupe instead.
  for (let h = 0; keys.length < n && h < 24 * (n + 2); h += 6) {
    const k = dayKey(new Date(now.getTime() - h * 3_600_000), tz);
    if (!keys.includes(k)) keys.push(k);
  }
  return keys.reverse();
}

/** Nearest-rank percentile of an ascending-sorted list; null when empty. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** A text sparkline, one bar per value, scaled to the maximum ("▁▁▃█" ); all zero → lowest bars. */
export function sparkline(values: number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => (max === 0 ? BARS[0] : BARS[Math.min(7, Math.round((v / max) * 7))])).join('');
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

function windowKpis(runs: KpiRun[], approvals: KpiApproval[], exceptions: KpiException[], flagged: Set<string>, slaMs: number): WindowKpis {
  const byStatus: Record<string, number> = {};
  let finished = 0;
  let firstPass = 0;
  let slaMet = 0;
  let slaEligible = 0;
  for (const r of runs) {
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    if (!FINISHED.has(r.status)) continue;
    finished++;
    if (r.status !== 'COMPLETED') continue;
    if (!r.retried && (r.attempts ?? 1) <= 1 && !flagged.has(r._id)) firstPass++;
    if (r.finishedAt) {
      slaEligible++;
      const working = r.finishedAt.getTime() - r.startedAt.getTime() - (r.approvalWaitMs ?? 0);
      if (working <= slaMs) slaMet++;
    }
  }
  const latencies = approvals
    .filter((a) => a.decidedAt && (a.status === 'APPROVED' || a.status === 'REJECTED'))
    .map((a) => (a.decidedAt as Date).getTime() - a.requestedAt.getTime())
    .sort((x, y) => x - y);
  return {
    runs: runs.length,
    byStatus,
    finished,
    firstPass,
    firstPassYield: ratio(firstPass, finished),
    exceptions: exceptions.length,
    exceptionRate: ratio(exceptions.length, runs.length),
    approvalsDecided: latencies.length,
    approvalP50Ms: percentile(latencies, 50),
    approvalP95Ms: percentile(latencies, 95),
    slaMet,
    slaEligible,
    slaAdherence: ratio(slaMet, slaEligible),
  };
}

export interface KpiInput {
  runs: KpiRun[];
  approvals: KpiApproval[];
  exceptions: KpiException[];
  now: Date;
  tz?: string;
  slaMs: number;
}

/**
 * Today and the last 7 days (today included). First pass = COMPLETED, not retried, one attempt,
 * and no exception or rejected approval attached to the run. Approval latency counts approvals
 * decided in the window; exceptions count those first seen in the window.
 */
export function computeKpis(input: KpiInput): Kpis {
  const tz = input.tz ?? 'UTC';
  const days = lastDays(input.now, 7, tz);
  const today = days[days.length - 1] as string;
  const inWeek = new Set(days);
  const flagged = new Set<string>();
  for (const e of input.exceptions) if (e.runId) flagged.add(e.runId);
  for (const a of input.approvals) if (a.status === 'REJECTED') flagged.add(a.runId);
  const pick = <T>(rows: T[], at: (t: T) => Date | null | undefined, keep: (k: string) => boolean) =>
    rows.filter((row) => {
      const d = at(row);
      return d ? keep(dayKey(d, tz)) : false;
    });
  const slice = (keep: (k: string) => boolean) =>
    windowKpis(
      pick(input.runs, (r) => r.startedAt, keep),
      pick(input.approvals, (a) => a.decidedAt, keep),
      pick(input.exceptions, (e) => e.firstSeenAt, keep),
      flagged,
      input.slaMs,
    );
  const perDay = new Map(days.map((d) => [d, 0]));
  for (const r of input.runs) {
    const k = dayKey(r.startedAt, tz);
    if (perDay.has(k)) perDay.set(k, (perDay.get(k) ?? 0) + 1);
  }
  const volume = days.map((day) => ({ day, runs: perDay.get(day) ?? 0 }));
  return { today: slice((k) => k === today), week: slice((k) => inWeek.has(k)), volume, sparkline: sparkline(volume.map((v) => v.runs)) };
}

export const ACTIVE_RUN_STATUSES = ['PENDING', 'RUNNING', 'WAITING_APPROVAL'] as const;
const RUN_FIELDS = { workflowId: 1, status: 1, objectType: 1, objectId: 1, startedAt: 1, finishedAt: 1, approvalWaitMs: 1, retried: 1, attempts: 1, error: 1, 'result.outcome': 1 };
const APPROVAL_FIELDS = { runId: 1, status: 1, title: 1, workflowId: 1, objectType: 1, objectId: 1, requestedAt: 1, decidedAt: 1 };
const EXCEPTION_FIELDS = { runId: 1, status: 1, type: 1, severity: 1, title: 1, objectType: 1, objectId: 1, firstSeenAt: 1, lastSeenAt: 1 };

/** Rows the dashboard needs: the last 8 days plus whatever is still open, one projected find per collection. */
export async function loadKpiRows(ctx: Pick<AppContext, 'models'>, now: Date): Promise<{ runs: KpiRun[]; approvals: KpiApproval[]; exceptions: KpiException[] }> {
  const since = new Date(now.getTime() - 8 * 86_400_000);
  const { Run, Approval, Exception } = ctx.models;
  const [runs, approvals, exceptions] = await Promise.all([
    Run.find({ $or: [{ startedAt: { $gte: since } }, { status: { $in: [...ACTIVE_RUN_STATUSES] } }] }, RUN_FIELDS).lean(),
    Approval.find({ $or: [{ status: 'PENDING' }, { decidedAt: { $gte: since } }, { requestedAt: { $gte: since } }] }, APPROVAL_FIELDS).lean(),
    Exception.find({ $or: [{ status: 'open' }, { firstSeenAt: { $gte: since } }] }, EXCEPTION_FIELDS).lean(),
  ]);
  return { runs: runs as unknown as KpiRun[], approvals: approvals as unknown as KpiApproval[], exceptions: exceptions as unknown as KpiException[] };
}
