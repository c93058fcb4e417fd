import type { Models } from '../db/models/index.ts';
import type { EventBus } from '../events.ts';
import type { HubSpotAdapter, HubSpotObject } from '../integrations/hubspot.ts';
import type { Logger } from '../logger.ts';
import type { TriggerTable } from '../../workflows/triggers.ts';
import { matchTriggers } from '../../workflows/triggers.ts';
import { buildEnvelope, fetchObjects, type UnitEvent } from './enrich.ts';
import type { IngestMetrics } from './metrics.ts';
import { createRuns, type RunOutcome } from './router.ts';

/** The HubSpot adapter's breaker cooldown (resilience.ts default). */
const BREAKER_WAIT_MS = 30_000;

export interface ProcessDeps {
  models: Pick<Models, 'WebhookEvent' | 'WorkUnit' | 'Run'>;
  hubspot: Pick<HubSpotAdapter, 'batchRead' | 'getAssociations'> | null;
  table: TriggerTable;
  metrics: IngestMetrics;
  logger: Logger;
  events: EventBus;
  mode: 'dry-run' | 'live';
  maxAttempts: number;
}

/** A unit this process holds the claim on (`claimedBy` is the claim token). */
export interface ClaimedUnit {
  _id: string;
  objectType: string;
  objectId: string;
  claimedBy: string;
  attempts: number;
  replayOf?: string | null;
  forcedBy?: string | null;
}

export interface UnitResult {
  unitId: string;
  status: 'done' | 'ignored' | 'skipped' | 'failed' | 'pending';
  reason?: string;
  runs: RunOutcome[];
  eventIds: string[];
}

/** Takes the object's new events into the unit (a replay unit already has its own) and reads them in occurredAt order. */
async function attachEvents(models: ProcessDeps['models'], u: ClaimedUnit): Promise<UnitEvent[]> {
  if (!u.replayOf) {
    await models.WebhookEvent.collection.updateMany({ objectType: u.objectType, objectId: u.objectId, status: 'received' }, { $set: { status: 'queued', unitId: u._id } });
  }
  const docs = await models.WebhookEvent.collection
    .find({ unitId: u._id }, { projection: { subscriptionType: 1, occurredAt: 1, receivedAt: 1, portalId: 1, propertyName: 1, propertyValue: 1 } })
    .sort({ occurredAt: 1, _id: 1 })
    .toArray();
  return docs as unknown as UnitEvent[];
}

async function finish(deps: ProcessDeps, u: ClaimedUnit, r: UnitResult): Promise<UnitResult> {
  const now = new Date();
  const done = await deps.models.WorkUnit.collection.updateOne(
    { _id: u._id as never, claimedBy: u.claimedBy },
    { $set: { status: r.status, reason: r.reason, runs: r.runs, eventIds: r.eventIds, finishedAt: now, updatedAt: now }, $unset: { leaseUntil: '' } },
  );
  if (done.matchedCount === 0) deps.logger.warn('unit claim lost before finishing (lease expired?)', { unitId: u._id });
  const eventStatus = r.status === 'done' ? 'processed' : r.status;
  if (r.status !== 'pending') await deps.models.WebhookEvent.collection.updateMany({ unitId: u._id }, { $set: { status: eventStatus, ...(r.reason ? { reason: r.reason } : {}) } });
  deps.metrics.units.inc({ outcome: r.status });
  return r;
}

/** Enrichment failed: another attempt later with backoff, or `failed` (kept, visible, replayable) once attempts are spent. */
async function retryOrFail(deps: ProcessDeps, u: ClaimedUnit, events: UnitEvent[], err: unknown): Promise<UnitResult> {
  const e = err as { message?: string; retryable?: boolean; retryAfterMs?: number };
  const message = e.message ?? String(err);
  const eventIds = events.map((x) => x._id);
  // An open breaker means HubSpot was not even called: wait out its cooldown without spending an attempt.
  const breakerOpen = message.includes('circuit open');
  if (e.retryable !== false && (breakerOpen || u.attempts < deps.maxAttempts)) {
    const backoff = breakerOpen ? BREAKER_WAIT_MS : Math.min(60_000, 1000 * 2 ** (u.attempts - 1));
    const delay = Math.max(e.retryAfterMs ?? 0, backoff) + Math.floor(Math.random() * 250);
    await deps.models.WorkUnit.collection.updateOne(
      { _id: u._id as never, claimedBy: u.claimedBy },
      {
        $set: { status: 'pending', dueAt: new Date(Date.now() + delay), error: message, updatedAt: new Date() },
        $unset: { leaseUntil: '' },
        ...(breakerOpen ? { $inc: { attempts: -1 } } : {}),
      },
    );
    deps.metrics.enrichRetries.inc();
    deps.logger.warn('unit enrichment failed, will retry', { unitId: u._id, attempt: u.attempts, delayMs: delay, error: message });
    return { unitId: u._id, status: 'pending', reason: message, runs: [], eventIds };
  }
  deps.logger.error('unit failed: enrichment attempts exhausted', { unitId: u._id, attempts: u.attempts, error: message });
  await deps.models.WorkUnit.collection.updateOne({ _id: u._id as never }, { $set: { error: message } });
  return finish(deps, u, { unitId: u._id, status: 'failed', reason: `enrichment failed: ${message}`, runs: [], eventIds });
}

async function route(deps: ProcessDeps, u: ClaimedUnit, events: UnitEvent[], obj: HubSpotObject | undefined): Promise<UnitResult> {
  const eventIds = events.map((e) => e._id);
  if (!obj) return finish(deps, u, { unitId: u._id, status: 'skipped', reason: `${u.objectType} ${u.objectId} not found in HubSpot (deleted or merged)`, runs: [], eventIds });
  const env = buildEnvelope(u, events, obj);
  const matches = matchTriggers(deps.table, { objectType: u.objectType, events, properties: obj.properties });
  if (matches.length === 0) return finish(deps, u, { unitId: u._id, status: 'ignored', reason: 'no trigger matched', runs: [], eventIds });
  const runs = await createRuns(deps, u._id, env, matches, u.forcedBy ? { by: u.forcedBy } : undefined);
  const created = runs.filter((r) => r.created).length;
  return finish(deps, u, { unitId: u._id, status: 'done', reason: created ? undefined : 'runs already existed for this change', runs, eventIds });
}

/** Processes claimed units: events attached, one batch read per object type, routed, runs created. */
export async function processUnits(deps: ProcessDeps, units: ClaimedUnit[]): Promise<UnitResult[]> {
  const withEvents = await Promise.all(units.map(async (u) => ({ u, events: await attachEvents(deps.models, u) })));
  const results: UnitResult[] = [];
  const byType = new Map<string, typeof withEvents>();
  for (const w of withEvents) {
    if (w.events.length === 0) {
      results.push(await finish(deps, w.u, { unitId: w.u._id, status: 'ignored', reason: 'no new events (already processed)', runs: [], eventIds: [] }));
      continue;
    }
    byType.set(w.u.objectType, [...(byType.get(w.u.objectType) ?? []), w]);
  }
  for (const [type, group] of byType) {
    let found: Map<string, HubSpotObject>;
    try {
      if (!deps.hubspot) throw Object.assign(new Error('HubSpot is not configured (HUBSPOT_ACCESS_TOKEN)'), { retryable: false });
      found = await fetchObjects(deps.hubspot, deps.table, type, group.map((w) => w.u.objectId), deps.metrics);
    } catch (err) {
      for (const w of group) results.push(await retryOrFail(deps, w.u, w.events, err));
      continue;
    }
    for (const w of group) {
      try {
        results.push(await route(deps, w.u, w.events, found.get(w.u.objectId)));
      } catch (err) {
        results.push(await retryOrFail(deps, w.u, w.events, err));
      }
    }
  }
  return results;
}
