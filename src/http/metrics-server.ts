import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Metrics } from '../metrics.ts';
import { metricsRouter } from './health.ts';
import { notFound } from './json-errors.ts';

export interface MetricsServer {
  port: number;
  stop(): Promise<void>;
}

/** /metrics alone on its own port (ORCH_METRICS_PORT), so it can stay on an internal network. */
export async function startMetricsServer(metrics: Metrics, port: number, host: string): Promise<MetricsServer> {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRouter(metrics));
  app.use(notFound);
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
