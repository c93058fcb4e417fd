import type { AppContext } from '../context.ts';
import { closeException, recordDetection, type ExceptionView } from './exceptions.ts';

/**
 * Dead letters: a run the engine marked FAILED (its own retries exhausted) becomes an
 * `integration_error` exception whose Retry hands it back to the engine. Detected on the
 * 'run.finished' hint and, because hints can be missed (another instance, a crash), by a scan.
 */
type DlqCtx = Pick<AppContext, 'models' | 'logger'>;

interface FailedRun {
  _id: string;
  workflowId: string;
  objectType: string;
  objectId: string;
  error?: string | null;
  errorClass?: string | null;
  attempts?: number | null;
  finishedAt?: Date | null;
  updatedAt?: Date;
}

function failedAt(run: FailedRun): string {
  return new Date(run.finishedAt ?? run.updatedAt ?? Date.now()).toISOString();
}

/** Idempotent per failure: the same FAILED run never yields a second open exception. */
export async function recordFailedRun(ctx: DlqCtx, runId: string): Promise<{ exception: ExceptionView; isNew: boolean } | null> {
  const run = (await ctx.models.Run.findOne({ _id: runId, status: 'FAILED' }).lean()) as FailedRun | null;
  if (!run) return null;
  const at = failedAt(run);
  // Already dead-lettered for this very failure (maybe ignored or retried since): leave it be.
  const seen = await ctx.models.Exception.exists({ type: 'integration_error', objectId: run._id, 'details.failedAt': at });
  if (seen) return null;
  const attempts = run.attempts ?? 0;
  return recordDetection(ctx.models, {
    type: 'integration_error',
    severity: 'high',
    objectType: 'run',
    objectId: run._id,
    runId: run._id,
    title: `Run ${run._id} (${run.workflowId} on ${run.objectType} ${run.objectId}) failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${run.error ?? 'unknown error'}${run.errorClass ? ` (${run.errorClass})` : ''}`,
    diff: [],
    details: { workflowId: run.workflowId, objectType: run.objectType, objectId: run.objectId, error: run.error, errorClass: run.errorClass, attempts, failedAt: at },
    proposedFix: { kind: 'retry_run', summary: 'Retry the run from its last checkpoint', writes: [] },
  });
}

/** Catches failures whose hint was missed, and closes dead letters whose run moved on. */
export async function scanFailedRuns(ctx: DlqCtx, limit = 500): Promise<{ opened: ExceptionView[]; closed: number }> {
  const runs = (await ctx.models.Run.find({ status: 'FAILED' }, { _id: 1 }).sort({ updatedAt: -1 }).limit(limit).lean()) as { _id: string }[];
  const opened: ExceptionView[] = [];
  for (const r of runs) {
    const res = await recordFailedRun(ctx, r._id);
    if (res?.isNew) opened.push(res.exception);
  }
  let closed = 0;
  const open = (await ctx.models.Exception.find({ type: 'integration_error', status: { $in: ['open', 'ignored'] } }, { _id: 1, objectId: 1, status: 1 }).lean()) as { _id: string; objectId: string; status: string }[];
  for (const e of open) {
    const run = await ctx.models.Run.findOne({ _id: e.objectId }, { status: 1 }).lean();
    if (run?.status === 'FAILED') continue;
    const done = await closeException(ctx.models, { id: e._id, from: [e.status], status: e.status === 'ignored' ? 'ignored' : 'resolved', actor: 'orch:reconcile', resolution: `run is ${run?.status ?? 'gone'} now` });
    if (done) closed++;
  }
  return { opened, closed };
}

export async function listDeadLetters(ctx: DlqCtx, limit = 20): Promise<ExceptionView[]> {
  return (await ctx.models.Exception.find({ type: 'integration_error', status: 'open' }).sort({ lastSeenAt: -1 }).limit(limit).lean()) as ExceptionView[];
}
