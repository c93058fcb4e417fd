import type { Models } from '../db/models/index.ts';
import { newId } from '../ids.ts';
import type { Logger } from '../logger.ts';
import type { IngestMetrics } from './metrics.ts';
import type { ClaimedUnit } from './process.ts';
import { objectKeyOf, unitUpsert, upsertUnits } from './store.ts';

export interface ClaimOptions {
  leaseMs: number;
  /** A unit whose events keep coming is still processed this long after its first event. */
  maxWaitMs: number;
  now?: number;
}

/**
 * Claims one due unit atomically: pending and past its window, or processing with an expired lease
 * (its claimer crashed). The slot moves to the claim token so the object can open a new pending unit.
 */
export async function claimOne(models: Pick<Models, 'WorkUnit'>, opts: ClaimOptions): Promise<ClaimedUnit | null> {
  const now = opts.now ?? Date.now();
  const token = newId('claim');
  const doc = await models.WorkUnit.collection.findOneAndUpdate(
    {
      $or: [
        { status: 'pending', dueAt: { $lte: new Date(now) } },
        { status: 'pending', firstEventAt: { $lte: new Date(now - opts.maxWaitMs) } },
        { status: 'processing', leaseUntil: { $lte: new Date(now) } },
      ],
    },
    { $set: { status: 'processing', slot: token, claimedBy: token, leaseUntil: new Date(now + opts.leaseMs), updatedAt: new Date(now) }, $inc: { attempts: 1 } },
    { sort: { dueAt: 1 }, returnDocument: 'after' },
  );
  return (doc as unknown as ClaimedUnit | null) ?? null;
}

export async function claimDue(models: Pick<Models, 'WorkUnit'>, opts: ClaimOptions & { limit: number }): Promise<ClaimedUnit[]> {
  const out: ClaimedUnit[] = [];
  while (out.length < opts.limit) {
    const u = await claimOne(models, opts);
    if (!u) break;
    out.push(u);
  }
  return out;
}

/**
 * Safety net for invariant 1: events stored but never given a unit (the process died between the
 * two writes, before the 200; HubSpot's re-delivery is then a duplicate) get one now.
 */
export async function sweepOrphans(models: Pick<Models, 'WebhookEvent' | 'WorkUnit'>, olderThanMs: number, debounceMs: number): Promise<number> {
  const cutoff = new Date(Date.now() - olderThanMs);
  const stale = await models.WebhookEvent.collection
    .find({ status: 'received', receivedAt: { $lt: cutoff } }, { projection: { objectType: 1, objectId: 1, portalId: 1 } })
    .limit(1000)
    .toArray();
  const byKey = new Map<string, { objectType: string; objectId: string; portalId?: number }>();
  for (const e of stale) byKey.set(objectKeyOf(String(e.objectType), String(e.objectId)), e as never);
  if (byKey.size === 0) return 0;
  const now = Date.now();
  await upsertUnits(models, [...byKey.values()].map((e) => unitUpsert(e.objectType, e.objectId, e.portalId, now, debounceMs)));
  return byKey.size;
}

export interface PollerDeps {
  models: Pick<Models, 'WebhookEvent' | 'WorkUnit'>;
  logger: Logger;
  metrics: IngestMetrics;
  process: (units: ClaimedUnit[]) => Promise<unknown>;
  pollMs: number;
  leaseMs: number;
  maxWaitMs: number;
  debounceMs: number;
  batchSize?: number;
}

/** Polls MongoDB for due units (works across instances and restarts); never overlaps itself. */
export function createUnitPoller(deps: PollerDeps) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let stopped = true;
  let lastGauge = 0;
  let lastSweep = Date.now();
  const limit = deps.batchSize ?? 50;

  async function tick(): Promise<void> {
    let claimed = 0;
    try {
      const units = await claimDue(deps.models, { leaseMs: deps.leaseMs, maxWaitMs: deps.maxWaitMs, limit });
      claimed = units.length;
      if (units.length) await deps.process(units);
      if (Date.now() - lastGauge > 2000) {
        lastGauge = Date.now();
        deps.metrics.pendingUnits.set(await deps.models.WorkUnit.collection.countDocuments({ status: 'pending' }));
      }
      if (Date.now() - lastSweep > 30_000) {
        lastSweep = Date.now();
        const n = await sweepOrphans(deps.models, deps.debounceMs + deps.leaseMs, deps.debounceMs);
        if (n) deps.logger.warn('events without a unit found and queued', { objects: n });
      }
    } catch (err) {
      deps.logger.error('ingest poll failed', { error: (err as Error).message });
    }
    // A full batch means more may be due: go again at once.
    schedule(claimed === limit ? 0 : deps.pollMs);
  }

  function schedule(ms: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(() => (running = null));
    }, ms);
    timer.unref();
  }

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    /** Lets the current batch finish (its units are leased, so a kill here loses nothing either). */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    async runOnce(): Promise<void> {
      await tick();
    },
  };
}
