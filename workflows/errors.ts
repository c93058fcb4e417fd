import { isGraphInterrupt } from '@langchain/langgraph';
import { isIntegrationError } from '../src/integrations/errors.ts';

/** How the engine treats a failure: retried (transient, rate_limited) or fatal for the run. */
export type ErrorClass = 'transient' | 'rate_limited' | 'invalid_input' | 'configuration' | 'external' | 'not_found' | 'auth' | 'cancelled' | 'internal';

/** A workflow's own, classified failure (e.g. a missing Airtable configuration in live mode). */
export class WorkflowError extends Error {
  readonly errorClass: ErrorClass;
  constructor(errorClass: ErrorClass, message: string) {
    super(message);
    this.name = 'WorkflowError';
    this.errorClass = errorClass;
  }
}

export class RunCancelledError extends WorkflowError {
  constructor(message = 'run cancelled') {
    super('cancelled', message);
    this.name = 'RunCancelledError';
  }
}

export function classify(err: unknown): { errorClass: ErrorClass; retryable: boolean; retryAfterMs?: number } {
  if (err instanceof WorkflowError) return { errorClass: err.errorClass, retryable: err.errorClass === 'transient' || err.errorClass === 'rate_limited' };
  if (isIntegrationError(err)) {
    return { errorClass: err.kind, retryable: err.retryable, ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }) };
  }
  // MongoDB network hiccups are worth a retry; anything else is a bug and fails the run.
  const name = (err as { name?: string })?.name ?? '';
  if (/MongoNetwork|MongoServerSelection|MongoNotConnected/.test(name)) return { errorClass: 'transient', retryable: true };
  return { errorClass: 'internal', retryable: false };
}

/** A readable, one-line reason for the Run document and the alert. */
export function reasonOf(err: unknown): string {
  if (isGraphInterrupt(err)) return 'interrupted';
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]?.slice(0, 500) ?? 'unknown error';
}
