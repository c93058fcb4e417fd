import type { AnyBulkWriteOperation } from 'mongodb';
import type { Models } from '../db/models/index.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import type { IngestMetrics } from './metrics.ts';
import type { ClaimedUnit } from './process.ts';
import { createWorkerLock, LOCK_LEASE_MS, releaseOrphanedClaims } from './worker-lock.ts';
import { pendingUpsert, type EventSummary, type InboxObject } from './store.ts';

type DebounceModels = Pick<Models, 'IngestInbox' | 'PendingUnit'>;
type LockModels = Pick<Models, 'IngestLock'>;

/**
 * Folds acknowledged batches' objects into their per-object debounce windows, then deletes the
 * inbox documents. Idempotent ($max), so two workers folding the same documents do no harm.
 */
export async function pumpInbox(models: DebounceModels, debounceMs: number, limit = 200): Promise<number> {
  const docs = await models.IngestInbox.collection.find({}).sort({ _id: 1 }).limit(limit).toArray();
  if (docs.length === 0) return 0;
  // One write per object per fold (fewer, larger updates than one per inbox entry).
  const merged = new Map<string, { o: InboxObject; at: number }>();
  for (const d of docs) {
    const at = new Date(d.receivedAt as Date).getTime();
    for (const o of (d.objects as InboxObject[]) ?? []) {
      const key = `${o.t}:${o.i}`;
      const m = merged.get(key);
      if (m) {
        m.o.e.push(...o.e);
        m.at = Math.max(m.at, at);
      } else merged.set(key, { o: { ...o, e: [...o.e] }, at });
    }
  }
  const ops: AnyBulkWriteOperation[] = [...merged.values()].map(({ o, at }) => pendingUpsert(o, at, debounceMs));
  if (ops.length) await models.PendingUnit.collection.bulkWrite(ops as never, { ordered: false });
  await models.IngestInbox.collection.deleteMany({ _id: { $in: docs.map((d) => d._id) } });
  return docs.length;
}

export interface ClaimOptions {
  leaseMs: number;
  /** A window that keeps being extended is still processed this long after its first event. */
  maxWaitMs: number;
  now?: number;
}

/**
 * Claims one due window atomically: unclaimed and past its window, or claimed with an expired lease
 * (its worker crashed). The window names (since it opened) the unit id its events are attached to; a
 * retaken claim keeps it, so the events already attached are found again.
 */
export async function claimOne(models: DebounceModels, opts: ClaimOptions): Promise<ClaimedUnit | null> {
  const now = opts.now ?? Date.now();
  const token = newId('claim');
  const unclaimed = { claimedBy: { $exists: false } };
  const doc = await models.PendingUnit.collection.findOneAndUpdate(
    {
      $or: [
        { ...unclaimed, dueAt: { $lte: new Date(now) } },
        { ...unclaimed, firstEventAt: { $lte: new Date(now - opts.maxWaitMs) } },
        { leaseUntil: { $lte: new Date(now) } },
      ],
    },
    { $set: { claimedBy: token, claimedAt: new Date(now), leaseUntil: new Date(now + opts.leaseMs) }, $inc: { attempts: 1 } },
    { sort: { dueAt: 1 }, returnDocument: 'after' },
  );
  if (!doc) return null;
  let unitId = doc.unitId as string | undefined;
  // Windows opened before unit ids were named at opening have none yet.
  if (!unitId) {
    unitId = newId('unit');
    await models.PendingUnit.collection.updateOne({ _id: doc._id, claimedBy: token }, { $set: { unitId } });
  }
  return {
    _id: unitId,
    slot: String(doc._id),
    objectType: String(doc.objectType),
    objectId: String(doc.objectId),
    portalId: (doc.portalId as number | undefined) ?? null,
    claimedBy: token,
    claimedAt: new Date(now),
    attempts: Number(doc.attempts ?? 1),
    events: (doc.events as EventSummary[] | undefined) ?? [],
  };
}

export async function claimDue(models: DebounceModels, opts: ClaimOptions & { limit: number }): Promise<ClaimedUnit[]> {
  const units: ClaimedUnit[] = [];
  for (let i = 0; i < opts.limit; i++) {
    const u = await claimOne(models, opts);
    if (!u) break;
    units.push(u);
  }
  return units;
}

/**
 * Unit finished: the window goes away, unless events were folded in meanwhile; those stay, as a
 * new window. Every write is fenced by the claim token and the fold counter `seq` read here: if the
 * window was retaken (lease lapsed) or events were folded in between, nothing is deleted, and a
 * changed `seq` means read again.
 */
export async function releaseSlot(models: DebounceModels, u: ClaimedUnit): Promise<void> {
  if (!u.slot) return;
  const done = new Set(u.events.map((e) => e.id));
  for (let attempt = 0; attempt < 5; attempt++) {
    const doc = await models.PendingUnit.collection.findOne({ _id: u.slot as never });
    if (!doc || doc.claimedBy !== u.claimedBy) return;
    const fence = { _id: u.slot as never, claimedBy: u.claimedBy, seq: doc.seq };
    const left = ((doc.events as EventSummary[] | undefined) ?? []).filter((e) => !done.has(e.id));
    const res =
      left.length === 0
        ? await models.PendingUnit.collection.deleteOne(fence)
        : await models.PendingUnit.collection.updateOne(fence, { $unset: { claimedBy: '', claimedAt: '', leaseUntil: '' }, $set: { events: left, attempts: 0, firstEventAt: u.claimedAt, unitId: newId('unit') } });
    if (('deletedCount' in res ? res.deletedCount : res.modifiedCount) === 1) return;
  }
}

/** Enrichment failed, another attempt later: same unit, same events, due again after the backoff. */
export async function deferSlot(models: DebounceModels, u: ClaimedUnit, delayMs: number): Promise<void> {
  if (!u.slot) return;
  await models.PendingUnit.collection.updateOne(
    { _id: u.slot as never, claimedBy: u.claimedBy },
    { $unset: { claimedBy: '', claimedAt: '', leaseUntil: '' }, $set: { dueAt: new Date(Date.now() + delayMs) } },
  );
}

export interface PollerDeps {
  models: DebounceModels & LockModels;
  logger: Logger;
  metrics: IngestMetrics;
  process: (units: ClaimedUnit[]) => Promise<unknown>;
  pollMs: number;
  leaseMs: number;
  maxWaitMs: number;
  debounceMs: number;
  batchSize?: number;
}

/** Polls MongoDB for inbox documents and due windows (works across instances and restarts); never overlaps itself. */
export function createUnitPoller(deps: PollerDeps) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let stopped = true;
  let lastGauge = 0;
  const limit = deps.batchSize ?? 50;
  const lock = createWorkerLock(deps.models, Math.min(deps.leaseMs, LOCK_LEASE_MS));
  let renewal: NodeJS.Timeout | undefined;

  async function tick(): Promise<boolean> {
    let more = false;
    try {
      const got = await lock.acquire();
      if (!got) return false;
      if (got === 'new') {
        const orphaned = await releaseOrphanedClaims(deps.models);
        if (orphaned) deps.logger.info('took over the ingest worker; units claimed by the previous worker are due again', { units: orphaned });
      }
      const pumped = await pumpInbox(deps.models, deps.debounceMs);
      const units = await claimDue(deps.models, { leaseMs: deps.leaseMs, maxWaitMs: deps.maxWaitMs, limit });
      if (units.length) await deps.process(units);
      more = pumped === 200 || units.length === limit;
      if (Date.now() - lastGauge > 2000) {
        lastGauge = Date.now();
        deps.metrics.pendingUnits.set(await deps.models.PendingUnit.collection.countDocuments({}));
      }
    } catch (err) {
      deps.logger.error('ingest poll failed', { error: (err as Error).message });
    }
    return more;
  }

  // When the next tick is due (the poll, or sooner after a wake); a wake during a tick is kept here.
  let nextAt = Infinity;
  let wokenFor = Infinity;

  function schedule(ms: number): void {
    if (stopped) return;
    clearTimeout(timer);
    nextAt = Date.now() + ms;
    timer = setTimeout(() => {
      nextAt = Infinity;
      running = tick()
        // A full batch means more may be due: go again at once.
        .then((more) => {
          const woken = wokenFor - Date.now();
          wokenFor = Infinity;
          schedule(more ? 0 : Math.max(0, Math.min(deps.pollMs, woken)));
        })
        .finally(() => (running = null));
    }, ms);
    timer.unref();
  }

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      schedule(0);
      const every = Math.max(200, Math.floor(Math.min(deps.leaseMs, LOCK_LEASE_MS) / 3));
      renewal = setInterval(() => void lock.renew().catch(() => undefined), every);
      renewal.unref();
    },
    /**
     * Events were stored here: their window falls due after the debounce, so tick then instead of
     * at the next poll (the poll stays, for other instances' events and restarts).
     */
    wake(): void {
      if (stopped) return;
      const at = Date.now() + deps.debounceMs;
      if (running) wokenFor = Math.min(wokenFor, at);
      else if (at < nextAt) schedule(deps.debounceMs);
    },
    /** Lets the current batch finish (its units are leased, so a kill here loses nothing either). */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      clearInterval(renewal);
      await running;
      // Hand over at once instead of after the lease.
      await lock.release().catch(() => undefined);
    },
    async runOnce(): Promise<void> {
      await tick();
    },
  };
}
