import { Router } from 'express';
import type { Metrics } from '../metrics.ts';

export type Check = () => Promise<void>;

export interface HealthOptions {
  metrics: Metrics;
  /** Named readiness checks; a missing one means "not configured" and is not run. */
  checks: Record<string, Check>;
  /** Extra facts for /ready (mode, role, version). */
  info?: () => Record<string, unknown>;
  checkTimeoutMs?: number;
  /** false when /metrics has its own port (ORCH_METRICS_PORT): then it is not served here. */
  serveMetrics?: boolean;
}

/** Runs one check with a deadline so a hung dependency cannot hang /ready. */
async function runCheck(check: Check, timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

export async function readiness(opts: HealthOptions) {
  const names = Object.keys(opts.checks);
  const results = await Promise.all(names.map((n) => runCheck(opts.checks[n] as Check, opts.checkTimeoutMs ?? 2000)));
  const dependencies: Record<string, { ok: boolean; error?: string }> = {};
  const down: { name: string; error: string }[] = [];
  names.forEach((name, i) => {
    const error = results[i];
    opts.metrics.dependencyUp.set({ dependency: name }, error ? 0 : 1);
    dependencies[name] = error ? { ok: false, error } : { ok: true };
    if (error) down.push({ name, error });
  });
  return { ready: down.length === 0, dependencies, down };
}

export function healthRouter(opts: HealthOptions): Router {
  const router = Router();
  const started = Date.now();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000) });
  });
  router.get('/ready', async (_req, res) => {
    const r = await readiness(opts);
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'unavailable', ...opts.info?.(), dependencies: r.dependencies, down: r.down });
  });
  if (opts.serveMetrics !== false) router.use(metricsRouter(opts.metrics));
  return router;
}

/** GET /metrics: Prometheus text from the instance's registry. */
export function metricsRouter(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}
