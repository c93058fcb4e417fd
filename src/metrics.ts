import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per app instance (tests run several in one process). Feature modules add their own
 * metrics with `registers: [metrics.registry]`; the shared ones live here.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'orch_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'orch_http_requests_total',
      help: 'HTTP requests by route and status class',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    apiUnauthorized: new Counter({
      name: 'orch_api_unauthorized_total',
      help: 'Requests to /api/* refused for a missing or wrong token',
      registers: [registry],
    }),
    dependencyUp: new Gauge({
      name: 'orch_dependency_up',
      help: '1 when the dependency answered the last readiness check',
      labelNames: ['dependency'] as const,
      registers: [registry],
    }),
    slackAckSeconds: new Histogram({
      name: 'orch_slack_handler_seconds',
      help: 'Time from a Slack request to its ack',
      labelNames: ['kind'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
