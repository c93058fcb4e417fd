import Bottleneck from 'bottleneck';
import pThrottle from 'p-throttle';
import CircuitBreaker from 'opossum';
import pRetry, { AbortError } from 'p-retry';
import { Counter, Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import { CIRCUIT_OPEN_MESSAGE, IntegrationError, classifyError, isCircuitOpen } from './errors.ts';

/**
 * The one place where rate limiting, retries and circuit breaking live, so every adapter gets the
 * same behaviour and the same metrics. Order per logical call:
 *   p-retry ( Bottleneck slot ( opossum breaker ( the SDK call ) ) )
 * The limiter sits outside the breaker so time spent queued for a slot never counts as a timeout.
 */
export interface RateLimit {
  /** At most `max` requests started in any rolling `windowMs`. */
  max: number;
  windowMs: number;
  maxConcurrent?: number;
}

export interface ResilienceOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First backoff delay; doubles each retry, with jitter (default 500 ms). */
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  /** A Retry-After longer than this is not waited for: the call fails as rate_limited (default 30 s). */
  maxRetryAfterMs?: number;
  /** Per attempt; false when the SDK enforces its own (default 30 s). */
  timeoutMs?: number | false;
  /** Breaker: opens when more than `errorThresholdPercentage` of at least `volumeThreshold` calls in the window fail. */
  volumeThreshold?: number;
  errorThresholdPercentage?: number;
  resetTimeoutMs?: number;
  rollingWindowMs?: number;
}

export interface ResilienceDeps {
  service: string;
  logger: Logger;
  /** The app's registry (`ctx.metrics.registry`); counters are shared by every adapter on it. Unset: a private one. */
  registry?: Registry | undefined;
  rateLimit?: RateLimit;
  options?: ResilienceOptions;
  /** Per-service error mapping; defaults to classifyError. */
  classify?: (err: unknown) => IntegrationError;
}

export type Health = 'ok' | 'degraded';

export interface Resilient {
  /** Runs `fn` with the limiter, breaker and retries; always rejects with an IntegrationError. */
  call<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  health(): Health;
  breakerState(): 'closed' | 'open' | 'half_open';
  stop(): Promise<void>;
}

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function integrationMetrics(registry: Registry) {
  return {
    calls: counter(registry, 'orch_integration_calls_total', 'Calls to external services by outcome (ok or error kind)', ['service', 'outcome']),
    retries: counter(registry, 'orch_integration_retries_total', 'Retried attempts against external services', ['service']),
  };
}

export interface Limiter {
  schedule<T>(fn: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * A rolling window: at most `max` request starts in any `windowMs` (10% headroom absorbs network
 * jitter between our start time and the server's arrival time), bursts allowed, so an idle
 * adapter answers at once instead of spacing every call by window/max. Bottleneck bounds the
 * requests in flight and drops the queue on stop.
 */
export function limiterFor(rate: RateLimit | undefined): Limiter | undefined {
  if (!rate) return undefined;
  const inFlight = new Bottleneck({ maxConcurrent: rate.maxConcurrent ?? 10 });
  const stopped = new AbortController();
  const slot = pThrottle({ limit: rate.max, interval: Math.ceil(rate.windowMs * 1.1), strict: true, signal: stopped.signal })(() => undefined);
  return {
    schedule: (fn) =>
      inFlight.schedule(async () => {
        await slot();
        return fn();
      }),
    stop: async () => {
      stopped.abort(new Error('adapter stopped'));
      await inFlight.stop({ dropWaitingJobs: true }).catch(() => undefined);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Errors that say nothing about the service's health do not trip the breaker. */
function innocent(err: IntegrationError): boolean {
  return err.kind === 'not_found' || err.kind === 'invalid_input' || err.kind === 'rate_limited';
}

export function createResilience(deps: ResilienceDeps): Resilient {
  const { service, logger } = deps;
  const o = deps.options ?? {};
  const classify = deps.classify ?? ((err: unknown) => classifyError(service, err));
  const metrics = integrationMetrics(deps.registry ?? new Registry());
  const limiter = limiterFor(deps.rateLimit);
  const maxRetryAfterMs = o.maxRetryAfterMs ?? 30_000;
  let lastError: { at: number; error: IntegrationError } | undefined;
  let lastOkAt = 0;

  const resetTimeout = o.resetTimeoutMs ?? 30_000;
  const breaker = new CircuitBreaker((fn: () => Promise<unknown>) => fn(), {
    timeout: o.timeoutMs ?? 30_000,
    volumeThreshold: o.volumeThreshold ?? 5,
    errorThresholdPercentage: o.errorThresholdPercentage ?? 50,
    resetTimeout,
    rollingCountTimeout: o.rollingWindowMs ?? 60_000,
    errorFilter: (err: unknown) => innocent(classify(err)),
  });
  breaker.on('open', () => logger.warn(`${service}: circuit opened after repeated failures; calls fail fast for ${resetTimeout} ms`, { service }));
  breaker.on('halfOpen', () => logger.info(`${service}: circuit half-open, trying one call`, { service }));
  breaker.on('close', () => logger.info(`${service}: circuit closed again`, { service }));

  function attempt<T>(fn: () => Promise<T>): Promise<T> {
    const run = () =>
      (breaker.fire(fn) as Promise<T>).catch((err: unknown) => {
        const code = (err as { code?: unknown } | null)?.code;
        if (code === 'EOPENBREAKER') {
          throw new AbortError(new IntegrationError({ service, kind: 'transient', message: CIRCUIT_OPEN_MESSAGE, retryAfterMs: resetTimeout, cause: err }));
        }
        throw classify(err);
      });
    return limiter ? limiter.schedule(run) : run();
  }

  async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      const result = await pRetry(() => attempt(fn), {
        retries: o.retries ?? 3,
        minTimeout: o.minTimeoutMs ?? 500,
        maxTimeout: o.maxTimeoutMs ?? 10_000,
        factor: 2,
        randomize: true,
        shouldRetry: async ({ error, retryDelay }) => {
          const err = classify(error);
          if (!err.retryable) return false;
          if (err.retryAfterMs !== undefined) {
            if (err.retryAfterMs > maxRetryAfterMs) return false;
            // p-retry waits retryDelay next; top it up so the total honours Retry-After.
            if (err.retryAfterMs > retryDelay) await sleep(err.retryAfterMs - retryDelay);
          }
          metrics.retries.inc({ service });
          logger.warn(`${service}.${operation}: retrying after ${err.kind}`, { service, operation, kind: err.kind, status: err.status, retryAfterMs: err.retryAfterMs });
          return true;
        },
      });
      lastOkAt = Date.now();
      metrics.calls.inc({ service, outcome: 'ok' });
      return result;
    } catch (raw) {
      const err = classify(raw);
      const outcome = isCircuitOpen(err) ? 'circuit_open' : err.kind;
      metrics.calls.inc({ service, outcome });
      if (!innocent(err)) lastError = { at: Date.now(), error: err };
      throw err;
    }
  }

  return {
    call,
    breakerState: () => (breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed'),
    health: () => {
      if (!breaker.closed) return 'degraded';
      // The most recent outcome decides: a failure newer than the last success means degraded.
      return lastError && lastError.at > lastOkAt ? 'degraded' : 'ok';
    },
    stop: async () => {
      breaker.shutdown();
      if (limiter) await limiter.stop().catch(() => undefined);
    },
  };
}
