import type { Models } from '../db/models/index.ts';

/**
 * "One reconciliation at a time across instances": a single lock document claimed with one
 * atomic findOneAndUpdate. Free or expired → ours; held → the upsert collides on _id (E11000)
 * and we report "busy". The holder renews it while working, so a crashed holder frees it on expiry.
 */
type LockModels = Pick<Models, 'ReconcileLock'>;
const LOCK_ID = 'reconcile';

export async function acquireLock(models: LockModels, holder: string, ttlMs: number): Promise<boolean> {
  const now = new Date();
  try {
    const doc = await models.ReconcileLock.findOneAndUpdate(
      { _id: LOCK_ID, until: { $lt: now } },
      { $set: { holder, until: new Date(now.getTime() + ttlMs) } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    return doc?.holder === holder;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

export async function renewLock(models: LockModels, holder: string, ttlMs: number): Promise<boolean> {
  const res = await models.ReconcileLock.updateOne({ _id: LOCK_ID, holder }, { $set: { until: new Date(Date.now() + ttlMs) } });
  return res.matchedCount === 1;
}

export async function releaseLock(models: LockModels, holder: string): Promise<void> {
  await models.ReconcileLock.updateOne({ _id: LOCK_ID, holder }, { $set: { until: new Date(0) } });
}

export async function lockHolder(models: LockModels): Promise<{ holder?: string; until: Date } | null> {
  const doc = await models.ReconcileLock.findOne({ _id: LOCK_ID, until: { $gt: new Date() } }).lean();
  return doc ? { ...(doc.holder ? { holder: doc.holder } : {}), until: doc.until } : null;
}

/** Runs `fn` holding the lock (renewed every ttl/3); returns null without running when busy. */
export async function withLock<T>(models: LockModels, holder: string, ttlMs: number, fn: () => Promise<T>): Promise<T | null> {
  if (!(await acquireLock(models, holder, ttlMs))) return null;
  const timer = setInterval(() => void renewLock(models, holder, ttlMs).catch(() => undefined), Math.max(1000, ttlMs / 3));
  timer.unref();
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    await releaseLock(models, holder);
  }
}
