import type { Models } from '../db/models/index.ts';
import type { EventBus } from '../events.ts';
import type { HubSpotAdapter, HubSpotObject } from '../integrations/hubspot.ts';
import type { Logger } from '../logger.ts';
import type { TriggerTable } from '../../workflows/triggers.ts';
import { matchTriggers, transitionProperties } from '../../workflows/triggers.ts';
import { buildEnvelope, fetchObjects, type Fetched, type UnitEvent } from './enrich.ts';
import type { IngestMetrics } from './metrics.ts';
import { createRuns, type RunOutcome } from './router.ts';
import { deferSlot, releaseSlot } from './debounce.ts';
import { objectKeyOf, type EventSummary } from './store.ts';

/** The HubSpot adapter's breaker cooldown (resilience.ts default). */
const BREAKER_WAIT_MS = 30_000;

export interface ProcessDeps {
  models: Pick<Models, 'WebhookEvent' | 'WorkUnit' | 'Run' | 'PendingUnit' | 'IngestInbox' | 'ObjectState'>;
  hubspot: Pick<HubSpotAdapter, 'batchRead' | 'getAssociations'> | null;
  table: TriggerTable;
  metrics: IngestMetrics;
  logger: Logger;
  events: EventBus;
  mode: () => Promise<'dry-run' | 'live'>;
  maxAttempts: number;
}

/** A unit this process holds the claim on (`claimedBy` is the claim token on its pending window `slot`). */
export interface ClaimedUnit {
  _id: string;
  /** The pending window's id (object key); absent for replays, which have no window. */
  slot?: string;
  objectType: string;
  objectId: string;
  portalId?: number | null;
  claimedBy: string;
  claimedAt: Date;
  attempts: number;
  replayOf?: string | null;
  forcedBy?: string | null;
  /** The window's events (possibly with re-deliveries and repeats), as folded from the inbox. */
  events: EventSummary[];
}

export interface UnitResult {
  unitId: string;
  status: 'done' | 'ignored' | 'skipped' | 'failed' | 'pending';
  reason?: string;
  runs: RunOutcome[];
  eventIds: string[];
}

/**
 * The unit's events in occurredAt order: repeats removed, and re-deliveries kept only while their
 * stored event is still unprocessed (one lookup by id each; re-deliveries are rare).
 */
async function unitEvents(models: ProcessDeps['models'], u: ClaimedUnit): Promise<UnitEvent[]> {
  const byId = new Map<string, EventSummary>();
  for (const e of u.events) if (!byId.has(e.id) || !e.d) byId.set(e.id, e);
  const out: UnitEvent[] = [];
  for (const e of byId.values()) {
    if (e.d && !u.replayOf) {
      const stored = await models.WebhookEvent.collection.findOne({ _id: e.id as never }, { projection: { status: 1, unitId: 1 } });
      if (!stored || (stored.status !== 'received' && stored.unitId !== u._id)) continue;
    }
    out.push({ _id: e.id, subscriptionType: e.st, occurredAt: new Date(e.at), receivedAt: u.claimedAt, portalId: u.portalId ?? undefined, propertyName: e.pn ?? null, propertyValue: e.pv ?? null });
  }
  return out.sort((a, b) => +a.occurredAt - +b.occurredAt || a._id.localeCompare(b._id));
}

/** Event statuses, one update by id each, in one unordered bulk. */
async function markEvents(models: ProcessDeps['models'], unitId: string, ids: string[], status: string, reason?: string): Promise<void> {
  if (ids.length === 0) return;
  // statusAt: when the status last changed (retention keeps failed events until this + ORCH_RETENTION_DAYS).
  const $set = { status, unitId, statusAt: new Date(), ...(reason ? { reason } : {}) };
  await models.WebhookEvent.collection.bulkWrite(ids.map((id) => ({ updateOne: { filter: { _id: id as never }, update: { $set } } })), { ordered: false });
}

/** Records the unit (created on first sight, so windows that find no new events leave no trace). */
async function recordUnit(deps: ProcessDeps, u: ClaimedUnit, events: UnitEvent[]): Promise<void> {
  const now = new Date();
  await deps.models.WorkUnit.collection.updateOne(
    { _id: u._id as never },
    {
      $setOnInsert: { objectKey: objectKeyOf(u.objectType, u.objectId), objectType: u.objectType, objectId: u.objectId, portalId: u.portalId ?? undefined, createdAt: now },
      $set: { status: 'processing', attempts: u.attempts, eventIds: events.map((e) => e._id), updatedAt: now },
    },
    { upsert: true },
  );
}

async function finish(deps: ProcessDeps, u: ClaimedUnit, r: UnitResult): Promise<UnitResult> {
  const now = new Date();
  // Events first, the unit's status last: whoever sees the unit finished sees its events finished.
  await markEvents(deps.models, u._id, r.eventIds, r.status === 'done' ? 'processed' : r.status, r.reason);
  await deps.models.WorkUnit.collection.updateOne(
    { _id: u._id as never },
    { $set: { status: r.status, reason: r.reason, runs: r.runs, eventIds: r.eventIds, finishedAt: now, updatedAt: now } },
  );
  await releaseSlot(deps.models, u);
  deps.metrics.units.inc({ outcome: r.status });
  return r;
}

/** Enrichment failed: another attempt later with backoff, or `failed` (kept, visible, replayable) once attempts are spent. */
async function retryOrFail(deps: ProcessDeps, u: ClaimedUnit, events: UnitEvent[], err: unknown): Promise<UnitResult> {
  const e = err as { message?: string; retryable?: boolean; retryAfterMs?: number };
  const message = e.message ?? String(err);
  const eventIds = events.map((x) => x._id);
  // An open breaker means HubSpot is down for a while: the next attempt waits out its cooldown.
  const breakerOpen = message.includes('circuit open');
  if (u.slot && e.retryable !== false && u.attempts < deps.maxAttempts) {
    const backoff = breakerOpen ? BREAKER_WAIT_MS : Math.min(60_000, 1000 * 2 ** (u.attempts - 1));
    const delay = Math.max(e.retryAfterMs ?? 0, backoff) + Math.floor(Math.random() * 250);
    await deps.models.WorkUnit.collection.updateOne({ _id: u._id as never }, { $set: { status: 'pending', error: message, updatedAt: new Date() } });
    await deferSlot(deps.models, u, delay);
    deps.metrics.enrichRetries.inc();
    deps.logger.warn('unit enrichment failed, will retry', { unitId: u._id, attempt: u.attempts, delayMs: delay, error: message });
    return { unitId: u._id, status: 'pending', reason: message, runs: [], eventIds };
  }
  deps.logger.error('unit failed: enrichment attempts exhausted', { unitId: u._id, attempts: u.attempts, error: message});
  await deps.models.WorkUnit.collection.updateOne({ _id: u._id as never }, { $set: { error: message } });
  return finish(deps, u, { unitId: u._id, status: 'failed', reason: `enrichment failed: ${message}`, runs: [], eventIds });
}

/**
 * Values of the stage-transition properties before this burst (what orch saw last) and the
 * object's current ones. Only for object types a transition trigger watches; one read by _id.
 */
async function readTransitions(deps: ProcessDeps, u: ClaimedUnit, obj: HubSpotObject): Promise<{ previous?: Record<string, string | null>; current?: Record<string, string | null> }> {
  const props = transitionProperties(deps.table, u.objectType);
  if (props.length === 0) return {};
  const state = await deps.models.ObjectState.collection.findOne({ _id: objectKeyOf(u.objectType, u.objectId) as never });
  const current = Object.fromEntries(props.map((p) => [p, obj.properties[p] ?? null]));
  return { current, ...(state?.values ? { previous: state.values as Record<string, string | null> } : {}) };
}

/** Stores the current values for the next burst: only once its runs exist, so a retried unit still sees the old "previous". */
async function rememberTransitions(deps: ProcessDeps, u: ClaimedUnit, current: Record<string, string | null> | undefined): Promise<void> {
  if (!current) return;
  await deps.models.ObjectState.collection.updateOne({ _id: objectKeyOf(u.objectType, u.objectId) as never }, { $set: { values: current, updatedAt: new Date() } }, { upsert: true });
}

async function route(deps: ProcessDeps, u: ClaimedUnit, events: UnitEvent[], obj: HubSpotObject | undefined): Promise<UnitResult> {
  const eventIds = events.map((e) => e._id);
  if (!obj) return finish(deps, u, { unitId: u._id, status: 'skipped', reason: `${u.objectType} ${u.objectId} not found in HubSpot (deleted or merged)`, runs: [], eventIds });
  const { previous, current } = await readTransitions(deps, u, obj);
  const env = buildEnvelope(u, events, obj, previous);
  const matches = matchTriggers(deps.table, { objectType: u.objectType, events, properties: obj.properties, ...(previous ? { previous } : {}) });
  if (matches.length === 0) {
    await rememberTransitions(deps, u, current);
    return finish(deps, u, { unitId: u._id, status: 'ignored', reason: 'no trigger matched', runs: [], eventIds });
  }
  const runs = await createRuns(deps, u._id, env, matches, u.forcedBy ? { by: u.forcedBy } : undefined);
  await rememberTransitions(deps, u, current);
  const created = runs.filter((r) => r.created).length;
  return finish(deps, u, { unitId: u._id, status: 'done', reason: created ? undefined : 'runs already existed for this change', runs, eventIds });
}

/** Processes claimed units: events attached, one batch read per object type, routed, runs created. */
export async function processUnits(deps: ProcessDeps, units: ClaimedUnit[]): Promise<UnitResult[]> {
  const withEvents = await Promise.all(units.map(async (u) => ({ u, events: await unitEvents(deps.models, u) })));
  const results: UnitResult[] = [];
  const byType = new Map<string, typeof withEvents>();
  for (const w of withEvents) {
    if (w.events.length === 0) {
      // Re-deliveries only, or events another unit already took: nothing to do, nothing to record.
      await releaseSlot(deps.models, w.u);
      results.push({ unitId: w.u._id, status: 'ignored', reason: 'no new events', runs: [], eventIds: [] });
      continue;
    }
    await recordUnit(deps, w.u, w.events);
    byType.set(w.u.objectType, [...(byType.get(w.u.objectType) ?? []), w]);
  }
  for (const [type, group] of byType) {
    let fetched: Fetched;
    try {
      if (!deps.hubspot) throw Object.assign(new Error('HubSpot is not configured (HUBSPOT_ACCESS_TOKEN)'), { retryable: false });
      fetched = await fetchObjects(deps.hubspot, deps.table, type, group.map((w) => w.u.objectId), deps.metrics);
    } catch (err) {
      for (const w of group) results.push(await retryOrFail(deps, w.u, w.events, err));
      continue;
    }
    // One unit after the other: units of one tick are few, and the order keeps logs readable.
    for (const w of group) {
      const failed = fetched.failed.get(w.u.objectId);
      try {
        if (failed) throw failed;
        results.push(await route(deps, w.u, w.events, fetched.objects.get(w.u.objectId)));
      } catch (err) {
        results.push(await retryOrFail(deps, w.u, w.events, err));
      }
    }
  }
  return results;
}
