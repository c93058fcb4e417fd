import type { AppContext } from '../context.ts';
import { getDashboard, type DashboardCtx } from './dashboard.ts';
import type { KpiRun } from './kpis.ts';

export interface RunQuery {
  status?: string;
  workflow?: string;
  /** Only runs started at or after this time (ms since epoch). */
  sinceAt?: number;
  /** How the user wrote it (e.g. 24h), for the page title. */
  sinceText?: string;
}

export interface RunCursor extends RunQuery {
  /** startedAt (ms) and id of the last run shown. */
  t: number;
  id: string;
  page: number;
}

export interface RunPage {
  runs: KpiRun[];
  next: RunCursor | null;
  source: 'snapshot' | 'query';
}

const FIELDS = { workflowId: 1, status: 1, objectType: 1, objectId: 1, startedAt: 1, finishedAt: 1, error: 1, 'result.outcome': 1 };

export function encodeCursor(c: RunCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(s: string): RunCursor | null {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as RunCursor;
    return typeof c.t === 'number' && typeof c.id === 'string' && typeof c.page === 'number' ? c : null;
  } catch {
    return null;
  }
}

function matches(q: RunQuery, r: KpiRun): boolean {
  return (!q.status || r.status === q.status) && (!q.workflow || r.workflowId === q.workflow) && (!q.sinceAt || r.startedAt.getTime() >= q.sinceAt);
}

/** Strictly after the cursor in newest-first order (startedAt desc, _id desc). */
function before(r: KpiRun, c: RunCursor): boolean {
  const t = r.startedAt.getTime();
  return t < c.t || (t === c.t && r._id < c.id);
}

function pageOf(rows: KpiRun[], q: RunQuery, size: number, page: number): { runs: KpiRun[]; next: RunCursor | null } {
  const runs = rows.slice(0, size);
  const last = runs[runs.length - 1];
  const next = rows.length > size && last ? { ...q, t: last.startedAt.getTime(), id: last._id, page: page + 1 } : null;
  return { runs, next };
}

/**
 * Newest runs first, `size` per page, keyset-paginated on (startedAt, _id). Pages come from the
 * dashboard snapshot (the newest RECENT_RUNS runs) while it holds a full page of matches, so no
 * collection scan at 100k runs; deeper pages and rare filters query MongoDB with the
 * (status|workflowId, startedAt) indexes.
 */
export async function listRuns(ctx: Pick<AppContext, 'models'> & DashboardCtx, q: RunQuery, cursor: RunCursor | null, size = 10): Promise<RunPage> {
  const page = cursor?.page ?? 1;
  const dash = await getDashboard(ctx);
  const hits = dash.recentRuns.filter((r) => matches(q, r) && (!cursor || before(r, cursor)));
  // A full page plus one more proves the page is complete without asking MongoDB.
  if (hits.length > size) return { ...pageOf(hits, q, size, page), source: 'snapshot' };
  const filter: Record<string, unknown> = {};
  if (q.status) filter.status = q.status;
  if (q.workflow) filter.workflowId = q.workflow;
  if (q.sinceAt) filter.startedAt = { $gte: new Date(q.sinceAt) };
  if (cursor) filter.$or = [{ startedAt: { $lt: new Date(cursor.t) } }, { startedAt: new Date(cursor.t), _id: { $lt: cursor.id } }];
  const rows = (await ctx.models.Run.find(filter as never, FIELDS).sort({ startedAt: -1, _id: -1 }).limit(size + 1).lean()) as unknown as KpiRun[];
  return { ...pageOf(rows, q, size, page), source: 'query' };
}
