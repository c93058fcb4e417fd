import pRetry from 'p-retry';
import { isGraphInterrupt } from '@langchain/langgraph';
import type { Models } from '../src/db/models/index.ts';
import type { Logger } from '../src/logger.ts';
import { classify, reasonOf, RunCancelledError } from './errors.ts';
import type { NodeFn, RunStateValue } from './types.ts';

export interface NodeWrapperOptions {
  models: Pick<Models, 'Run'>;
  logger: Logger;
  /** Retries on transient / rate-limited errors (ORCH_STEP_RETRIES). */
  retries: number;
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  /** Step tallies of the runs being executed (see StepLedger); read from the run each time when absent. */
  ledger?: StepLedger;
  /** Observes every finished step (metrics). */
  onStep?: (name: string, status: string, ms: number) => void;
}

type StepStatus = 'running' | 'completed' | 'failed' | 'waiting';

/** Steps already on a run document (how many, attempts per step name) and whether a cancel was asked for. */
export interface StepTally {
  count: number;
  attempts: Map<string, number>;
  cancelRequested: boolean;
}

/**
 * Runs' step tallies kept by their executing engine (it is the only writer of a run's steps while
 * it holds the lease), so a step costs two writes and no read. The engine drops a run's entry when
 * its execution ends; without an entry the tally is read from the run.
 */
export type StepLedger = Map<string, StepTally>;

async function tallyOf(models: Pick<Models, 'Run'>, runId: string, ledger?: StepLedger): Promise<StepTally> {
  const known = ledger?.get(runId);
  if (known) return known;
  const run = await models.Run.findById(runId, { steps: 1, cancelRequested: 1 }).lean();
  const attempts = new Map<string, number>();
  for (const s of run?.steps ?? []) attempts.set(s.name, (attempts.get(s.name) ?? 0) + 1);
  const tally = { count: run?.steps?.length ?? 0, attempts, cancelRequested: Boolean(run?.cancelRequested) };
  ledger?.set(runId, tally);
  return tally;
}

/**
 * A step is written once, when it ends, with its start and end: most steps take a few milliseconds,
 * and two writes each were a third of a run's database round trips. One still running after this
 * long is written as `running` at once, so /orch run shows what a slow step is doing.
 */
export const STEP_VISIBLE_AFTER_MS = 200;

interface OpenStep {
  sid: string;
  attempt: number;
  startedAt: Date;
  tally: StepTally;
  timer?: NodeJS.Timeout;
  /** The `running` entry's write, once the step outlived STEP_VISIBLE_AFTER_MS; never rejects. */
  shown?: Promise<void>;
}

async function beginStep(models: Pick<Models, 'Run'>, logger: Logger, runId: string, name: string, ledger?: StepLedger): Promise<OpenStep> {
  const tally = await tallyOf(models, runId, ledger);
  if (tally.cancelRequested) throw new RunCancelledError();
  const attempt = (tally.attempts.get(name) ?? 0) + 1;
  const startedAt = new Date();
  tally.count += 1;
  tally.attempts.set(name, attempt);
  const step: OpenStep = { sid: `${name}#${attempt}`, attempt, startedAt, tally };
  step.timer = setTimeout(() => {
    // Only for visibility: its failure must not decide the step's outcome (writeEnd pushes the entry then).
    step.shown = models.Run.updateOne({ _id: runId }, { $push: { steps: { sid: step.sid, name, status: 'running', attempt, startedAt } } })
      .exec()
      .then(
        () => undefined,
        (err: Error) => void logger.warn('could not show a slow step as running', { runId, step: name, error: err.message }),
      );
  }, STEP_VISIBLE_AFTER_MS);
  step.timer.unref();
  return step;
}

async function writeEnd(
  models: Pick<Models, 'Run'>,
  runId: string,
  step: OpenStep,
  name: string,
  status: StepStatus,
  extra: { error?: string; errorClass?: string; attempt?: number } = {},
): Promise<void> {
  clearTimeout(step.timer);
  const finishedAt = new Date();
  const entry = { sid: step.sid, name, status, attempt: extra.attempt ?? step.attempt, startedAt: step.startedAt, finishedAt, durationMs: finishedAt.getTime() - step.startedAt.getTime(), ...extra };
  // The same write tells whether a cancel was requested meanwhile: the next step will not start.
  const projection = { projection: { cancelRequested: 1 }, lean: true } as const;
  let run: { cancelRequested?: boolean | null } | null = null;
  if (step.shown) {
    await step.shown;
    // Replaces the running entry if it was written (also when its answer was lost); else pushed below.
    run = await models.Run.findOneAndUpdate({ _id: runId, 'steps.sid': step.sid }, { $set: { 'steps.$': entry } }, projection);
  }
  run ??= await models.Run.findOneAndUpdate({ _id: runId }, { $push: { steps: entry } }, projection);
  if (run?.cancelRequested) step.tally.cancelRequested = true;
}

/**
 * The one wrapper every node goes through: records the step on the Run (name, status, attempt,
 * timings, error), retries transient and rate-limited failures with backoff and jitter, and lets
 * GraphInterrupt through untouched (a swallowed interrupt would skip the human).
 */
export function createNodeWrapper(opts: NodeWrapperOptions): (name: string, fn: NodeFn) => (state: RunStateValue) => Promise<Awaited<ReturnType<NodeFn>>> {
  const { models, logger } = opts;
  return (name, fn) => async (state) => {
    const runId = state.runId;
    const step = await beginStep(models, logger, runId, name, opts.ledger);
    const endStep = writeEnd;
    let tries = 1;
    try {
      const out = await pRetry(() => fn(state), {
        retries: opts.retries,
        minTimeout: opts.minTimeoutMs ?? 250,
        maxTimeout: opts.maxTimeoutMs ?? 10_000,
        factor: 2,
        randomize: true,
        shouldRetry: ({ error }) => !isGraphInterrupt(error) && classify(error).retryable,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (isGraphInterrupt(error)) return;
          const c = classify(error);
          if (!c.retryable || retriesLeft === 0) return;
          tries = attemptNumber + 1;
          logger.warn('workflow step failed, retrying', { runId, step: name, attempt: attemptNumber, errorClass: c.errorClass, error: reasonOf(error) });
          // Honour Retry-After beyond p-retry's own backoff.
          if (c.retryAfterMs) await new Promise((r) => setTimeout(r, Math.min(c.retryAfterMs ?? 0, 30_000)));
        },
      });
      await endStep(models, runId, step, name, 'completed', { attempt: step.attempt + tries - 1 });
      opts.onStep?.(name, 'completed', Date.now() - step.startedAt.getTime());
      return out;
    } catch (err) {
      if (isGraphInterrupt(err)) {
        await endStep(models, runId, step, name, 'waiting');
        throw err;
      }
      const c = classify(err);
      await endStep(models, runId, step, name, 'failed', { error: reasonOf(err), errorClass: c.errorClass, attempt: step.attempt + tries - 1 });
      opts.onStep?.(name, 'failed', Date.now() - step.startedAt.getTime());
      throw err;
    }
  };
}
