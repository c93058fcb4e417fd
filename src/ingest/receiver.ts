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
  /** Webhook batch groups written concurrently (ORCH_INGEST_WRITERS). */
  writers?: number;
  /** HUBSPOT_LEGACY_SIGNATURES: v1/v2 signatures are refused unless 'allow'. */
  legacySignatures?: 'allow' | 'refuse';
  /** `contact.privacyDeletion` events, once stored: the contact's PII is forgotten (src/services/forget.ts). */
  onPrivacyDeletion?: (contactId: string) => void;
}

/** The body size as a number: the bytes read when there are some, else the declared Content-Length. */
function bodyBytes(req: Request): number | undefined {
  if (Buffer.isBuffer(req.body)) return req.body.length;
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) ? declared : undefined;
}

function reject(res: Response, deps: ReceiverDeps, req: Request, status: number, reason: string, message: string, extra: Record<string, unknown> = {}): void {
  deps.metrics.rejected.inc({ reason });
  deps.logger.warn('hubspot webhook rejected', { reason, status, ip: req.ip, bytes: bodyBytes(req), ...extra });
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
  const writer = createBatchWriter(deps.models, deps.writers === undefined ? {} : { writers: deps.writers });
  const handle: RequestHandler = async (req, res, next) => {
    const t0 = process.hrtime.bigint();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const url = `${base}${req.originalUrl}`;
    const sig = verifyHubSpotSignature({ clientSecret: deps.clientSecret, method: req.method, url, body, headers: req.headers, legacy: deps.legacySignatures ?? 'refuse' });
    if (!sig.ok) {
      // Behind a proxy the first question is which URL the signature was checked against (PUBLIC_URL + path).
      const extra = { version: sig.version, ...(sig.reason === 'bad_signature' ? { checkedUrl: url } : {}), ...(sig.hint ? { hint: sig.hint } : {}) };
      return reject(res, deps, req, 401, sig.reason, `HubSpot signature check failed: ${sig.reason}${sig.hint ? ` (${sig.hint})` : ''}`, extra);
    }
    let items: unknown;
    const text = body.toString('utf8');
    try {
      items = JSON.parse(text);
    } catch {
      return reject(res, deps, req, 400, 'invalid_json', 'Body is not valid JSON');
    }
    if (!Array.isArray(items)) return reject(res, deps, req, 400, 'not_an_array', 'Body must be a JSON array of events');
    if (items.length === 0) {
      // Nothing to keep: an empty batch is answered, not stored.
      deps.logger.info('hubspot webhook batch empty', { bytes: body.length });
      res.status(200).json({ ok: true, batchId: null, accepted: 0, duplicates: 0, quarantined: 0, ignored: 0 });
      return;
    }
    try {
      const r = await writer.store({ body, text, items, signatureVersion: sig.version, receivedAt: Date.now() });
      const m = deps.metrics;
      m.received.inc(r.received);
      m.accepted.inc(r.accepted);
      m.duplicate.inc(r.duplicates);
      m.quarantined.inc(r.quarantined);
      m.ignored.inc(r.ignored);
      if (r.quarantined > 0) deps.logger.warn('hubspot events quarantined', { batchId: r.batchId, quarantined: r.quarantined });
      deps.logger.info('hubspot webhook batch accepted', { batchId: r.batchId, correlationId: r.batchId, received: r.received, accepted: r.accepted, duplicates: r.duplicates, quarantined: r.quarantined, ignored: r.ignored, objects: r.objects, bytes: body.length });
      res.status(200).json({ ok: true, batchId: r.batchId, accepted: r.accepted, duplicates: r.duplicates, quarantined: r.quarantined, ignored: r.ignored });
      m.ackSeconds.observe(Number(process.hrtime.bigint() - t0) / 1e9);
      if (r.objects > 0) deps.onStored?.();
      for (const e of items as { subscriptionType?: unknown; objectId?: unknown }[]) {
        if (e?.subscriptionType === 'contact.privacyDeletion' && (typeof e.objectId === 'number' || typeof e.objectId === 'string')) deps.onPrivacyDeletion?.(String(e.objectId));
      }
    } catch (err) {
      // Not stored → not acknowledged: HubSpot retries, nothing is lost.
      next(err);
    }
  };
  return [rawBody(deps), handle];
}
