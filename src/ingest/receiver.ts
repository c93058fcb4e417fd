import express, { type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../logger.ts';
import type { Models } from '../db/models/index.ts';
import type { IngestMetrics } from './metrics.ts';
import { verifyHubSpotSignature } from './signature.ts';
import { createBatchWriter } from './store.ts';

export const WEBHOOK_PATH = '/webhooks/hubspot';

export interface ReceiverDeps {
  models: Pick<Models, 'WebhookEvent' | 'WebhookBatch' | 'IngestInbox'>;
  logger: Logger;
  metrics: IngestMetrics;
  clientSecret: string;
  /** PUBLIC_URL: HubSpot signs the URL it called, not the one we see behind a proxy. */
  publicUrl: string;
  /** Wakes the local poller when this instance also processes units. */
  onStored?: () => void;
}

function reject(res: Response, deps: ReceiverDeps, req: Request, status: number, reason: string, message: string): void {
  deps.metrics.rejected.inc({ reason });
  deps.logger.warn('hubspot webhook rejected', { reason, status, ip: req.ip, bytes: req.headers['content-length'] });
  res.status(status).json({ error: reason, message });
}

/** The raw body (bytes as signed) up to 1 MB; larger → 413 JSON with a log line and a metric. */
function rawBody(deps: ReceiverDeps): RequestHandler {
  const parse = express.raw({ type: () => true, limit: '1mb' });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as { status?: number; type?: string; message?: string };
      if (e.status === 413) return reject(res, deps, req, 413, 'payload_too_large', 'Webhook bodies are limited to 1 MB');
      return reject(res, deps, req, e.status && e.status < 500 ? e.status : 400, 'unreadable_body', e.message ?? 'unreadable body');
    });
  };
}

/** POST /webhooks/hubspot: verify, validate, store durably, then 200 (a few ms; HubSpot times out at 5 s). */
export function hubspotWebhookHandlers(deps: ReceiverDeps): RequestHandler[] {
  const base = deps.publicUrl.replace(/\/+$/, '');
  const writer = createBatchWriter(deps.models);
  const handle: RequestHandler = async (req, res, next) => {
    const t0 = process.hrtime.bigint();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const sig = verifyHubSpotSignature({ clientSecret: deps.clientSecret, method: req.method, url: `${base}${req.originalUrl}`, body, headers: req.headers });
    if (!sig.ok) return reject(res, deps, req, 401, sig.reason, `HubSpot signature check failed: ${sig.reason}`);
    let items: unknown;
    try {
      items = JSON.parse(body.toString('utf8'));
    } catch {
      return reject(res, deps, req, 400, 'invalid_json', 'Body is not valid JSON');
    }
    if (!Array.isArray(items)) return reject(res, deps, req, 400, 'not_an_array', 'Body must be a JSON array of events');
    try {
      const r = await writer.store({ body, items, signatureVersion: sig.version, receivedAt: Date.now() });
      const m = deps.metrics;
      m.received.inc(r.received);
      m.accepted.inc(r.accepted);
      m.duplicate.inc(r.duplicates);
      m.quarantined.inc(r.quarantined);
      m.ignored.inc(r.ignored);
      if (r.quarantined > 0) deps.logger.warn('hubspot events quarantined', { batchId: r.batchId, quarantined: r.quarantined });
      res.status(200).json({ ok: true, batchId: r.batchId, accepted: r.accepted, duplicates: r.duplicates, quarantined: r.quarantined, ignored: r.ignored });
      m.ackSeconds.observe(Number(process.hrtime.bigint() - t0) / 1e9);
      if (r.objects > 0) deps.onStored?.();
    } catch (err) {
      // Not stored → not acknowledged: HubSpot retries, nothing is lost.
      next(err);
    }
  };
  return [rawBody(deps), handle];
}
