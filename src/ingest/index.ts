import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestHandler, Router } from 'express';
import { forgetContact } from '../services/forget.ts';
import { getMode } from '../services/settings.ts';
import type { AppContext } from '../context.ts';
import { eventsApi } from '../http/api-events.ts';
import { loadTriggerTable } from '../../workflows/triggers.ts';
import { createUnitPoller } from './debounce.ts';
import { createIngestMetrics } from './metrics.ts';
import { processUnits } from './process.ts';
import { hubspotWebhookHandlers } from './receiver.ts';
import { replayEvents, type ReplayDeps, type ReplayOptions } from './replay.ts';

export { WEBHOOK_PATH } from './receiver.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Ingest {
  webhookHandlers: RequestHandler[];
  api: Router;
  poller: ReturnType<typeof createUnitPoller>;
  /** Replay of stored events, for `/orch replay` (same path and checks as POST /api/events/:id/replay). */
  replay: (eventIds: string[], opts: ReplayOptions) => ReturnType<typeof replayEvents>;
}

/** Wires the webhook route, the events API and the unit poller from the app context. */
export function createIngest(ctx: AppContext): Ingest {
  const { config, logger, models } = ctx;
  const metrics = createIngestMetrics(ctx.metrics.registry);
  const table = loadTriggerTable(path.resolve(ROOT, config.ORCH_TRIGGERS_FILE));
  const deps: ReplayDeps = {
    models,
    hubspot: ctx.integrations.hubspot,
    table,
    metrics,
    logger,
    events: ctx.events,
    mode: () => getMode(ctx),
    maxAttempts: config.ORCH_INGEST_MAX_ATTEMPTS,
  };
  const poller = createUnitPoller({
    models,
    logger,
    metrics,
    process: (units) => processUnits(deps, units),
    pollMs: config.ORCH_INGEST_POLL_MS,
    leaseMs: config.ORCH_INGEST_LEASE_MS,
    maxWaitMs: config.ORCH_INGEST_MAX_WAIT_MS,
    debounceMs: config.ORCH_DEBOUNCE_MS,
  });
  const webhookHandlers = hubspotWebhookHandlers({
    models,
    logger,
    metrics,
    clientSecret: config.HUBSPOT_CLIENT_SECRET,
    publicUrl: config.PUBLIC_URL,
    legacySignatures: config.HUBSPOT_LEGACY_SIGNATURES,
    onPrivacyDeletion: (contactId) =>
      void forgetContact(ctx, { contactId, actor: 'hubspot:privacyDeletion', reason: 'HubSpot contact.privacyDeletion (GDPR delete in HubSpot)' }).catch((err: Error) => logger.error('forgetting a contact after privacyDeletion failed', { contactId, error: err.message })),
    writers: config.ORCH_INGEST_WRITERS,
    // Only where this instance processes units itself; a web-only instance leaves it to the workers' poll.
    ...(config.ORCH_ROLE === 'web' ? {} : { onStored: () => poller.wake() }),
  });
  return { webhookHandlers, api: eventsApi(deps as never), poller, replay: (eventIds, opts) => replayEvents(deps, eventIds, opts) };
}
