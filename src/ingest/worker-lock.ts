import type { Models } from '../db/models/index.ts';
import { newId } from '../ids.ts';

type LockModels = Pick<Models, 'IngestLock'>;
type WindowModels = Pick<Models, 'PendingUnit'>;

/**
 * One ingest worker at a time across instances: a lease document taken and renewed by conditional
 * upserts. Taking it matches only a free or expired lease, or our own (the unique `_id` makes a
 * concurrent upsert for a lease someone else holds fail with a duplicate key); renewing matches only
 * our token, so a worker whose lease was taken over learns it at once and stops.
 * acquire() says whether the lock was just taken ('new') or was already ours ('held').
 */
export function createWorkerLock(models: LockModels, leaseMs: number) {
  const token = newId('worker');
  const coll = () => models.IngestLock.collection;
  // Until when this process is sure to hold the lock (its last write said so): no database round
  // trip per tick while it lasts; the background renewal keeps pushing it out.
  let sureUntil = 0;
  const mine = (now: number) => {
    sureUntil = now + leaseMs / 2;
  };
  return {
    token,
    async acquire(): Promise<'new' | 'held' | null> {
      const now = Date.now();
      if (now < sureUntil) return 'held';
      try {
        const before = await coll().findOneAndUpdate(
          { _id: 'worker' as never, $or: [{ token }, { until: { $lte: new Date(now) } }] },
          { $set: { token, until: new Date(now + leaseMs) } },
          { upsert: true, returnDocument: 'before' },
        );
        mine(now);
        return before?.token === token ? 'held' : 'new';
      } catch (err) {
        if ((err as { code?: number }).code === 11000) return null; // held by another, unexpired
        throw err;
      }
    },
    /** Extends the lease while a long batch runs; fenced by the token (a taken-over lease stays lost). */
    async renew(): Promise<boolean> {
      const now = Date.now();
      const res = await coll().updateOne({ _id: 'worker' as never, token }, { $set: { until: new Date(now + leaseMs) } });
      if (res.modifiedCount === 1) mine(now);
      else sureUntil = 0;
      return res.modifiedCount === 1;
    },
    /** Whether this process may still act as the worker (its lease has not lapsed). */
    holds(): boolean {
      return Date.now() < sureUntil;
    },
    async release(): Promise<void> {
      sureUntil = 0;
      await coll().deleteOne({ _id: 'worker' as never, token });
    },
  };
}

/**
 * A new lock holder knows the previous one is gone (it released the lock after finishing, or its
 * lease ran out): windows still claimed were claimed by it and are due again now, not after their
 * own (longer) lease. This is what makes a restart after a crash process at once.
 */
export async function releaseOrphanedClaims(models: WindowModels): Promise<number> {
  const res = await models.PendingUnit.collection.updateMany({ claimedBy: { $exists: true } }, { $set: { leaseUntil: new Date(0) } });
  return res.modifiedCount;
}

/** The worker lock's lease: short, so a crashed worker's successor starts within seconds; renewed in the background. */
export const LOCK_LEASE_MS = 10_000;
