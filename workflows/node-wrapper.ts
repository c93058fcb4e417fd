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
  /** Chains writes to one run document (see WorkflowEngine.serialize); direct when absent. */
  serialize?: <T>(runId: string, fn: () => Promise<T>) => Promise<T>;
  /** Observes every finished step (metrics). */
  onStep?: (name: string, status: string, ms: number) => void;
}

type StepStatus = 'running' | 'completed' | 'failed' | 'waiting';

async function beginStep(models: Pick<Models, 'Run'>, runId: string, name: string): Promise<{ index: number; attempt: number; startedAt: Date }> {
  const run = await models.Run.findById(runId, { steps: 1, cancelRequested: 1 }).lean();
  if (run?.cancelRequested) throw new RunCancelledError();
  const steps = run?.steps ?? [];
  const attempt = steps.filter((s) => s.name === name).length + 1;
  const startedAt = new Date();
  await models.Run.updateOne({ _id: runId }, { $push: { steps: { name, status: 'running', attempt, startedAt } } });
  return { index: steps.length, attempt, startedAt };
}

async function writeEnd(
  models: Pick<Models, 'Run'>,
  runId: string,
  step: { index: number; attempt: number; startedAt: Date },
  name: string,
  status: StepStatus,
  extra: { error?: string; errorClass?: string; attempt?: number } = {},
): Promise<void> {
  const finishedAt = new Date();
  const entry = { name, status, attempt: extra.attempt ?? step.attempt, startedAt: step.startedAt, finishedAt, durationMs: finishedAt.getTime() - step.startedAt.getTime(), ...extra };
  await models.Run.updateOne({ _id: runId }, { $set: { [`steps.${step.index}`]: entry } });
}

/**
 * The one wrapper every node goes through: records the step on the Run (name, status, attempt,
 * timings, error), retries transient and rate-limited failures with backoff and jitter, and lets
 * GraphInterrupt through untouched (a swallowed interrupt would skip the human).
 */
export function createNodeWrapper(opts: NodeWrapperOptions): (name: string, fn: NodeFn) => (state: RunStateValue) => Promise<Awaited<ReturnType<NodeFn>>> {
  const { models, logger } = opts;
  const serial = opts.serialize ?? (<T>(_runId: string, fn: () => Promise<T>) => fn());
  return (name, fn) => async (state) => {
    const runId = state.runId;
    const step = await serial(runId, () => beginStep(models, runId, name));
    const endStep = (...args: Parameters<typeof writeEnd>) => serial(runId, () => writeEnd(...args));
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
