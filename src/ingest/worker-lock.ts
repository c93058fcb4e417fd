import type { Models } from '../db/models/index.ts';
import { newId } from '../ids.ts';

type LockModels = Pick<Models, 'IngestLock'>;
type WindowModels = Pick<Models, 'PendingUnit'>;

/**
 * One ingest worker at a time across instances. FerretDB v1 does not isolate concurrent updates of
 * one document (two findOneAndUpdate claims of the same PENDING document both succeed; measured),
 * so exclusivity comes from a unique insert; on MongoDB the window claims (debounce.ts) are atomic as well.
 * acquire() says whether the lock was just taken ('new') or was already ours ('held').
 */
export function createWorkerLock(models: LockModels, leaseMs: number) {
  const token = newId('worker');
  const coll = () => models.IngestLock.collection;
  const insert = async (now: number): Promise<boolean> => {
    try {
      await coll().insertOne({ _id: 'worker' as never, token, until: new Date(now + leaseMs) });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      return false;
    }
  };
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
      if (await insert(now)) {
        mine(now);
        return 'new';
      }
      const held = await coll().findOne({ _id: 'worker' as never });
      if (!held) return null;
      if (held.token === token) {
        await coll().updateOne({ _id: 'worker' as never }, { $set: { until: new Date(now + leaseMs) } });
        mine(now);
        return 'held';
      }
      if (new Date(held.until as Date).getTime() > now) return null;
      // The holder's lease expired (crashed or stalled): remove its lock, then race for a new one.
      await coll().deleteOne({ _id: 'worker' as never, token: held.token });
      if (!(await insert(now).catch(() => false))) return null;
      mine(now);
      return 'new';
    },
    /** Extends the lease while a long batch runs (ticks alone may be further apart than the lease). */
    async renew(): Promise<void> {
      const held = await coll().findOne({ _id: 'worker' as never });
      if (held?.token !== token) {
        sureUntil = 0;
        return;
      }
      const now = Date.now();
      await coll().updateOne({ _id: 'worker' as never }, { $set: { until: new Date(now + leaseMs) } });
      mine(now);
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
