import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, type MongoHandles } from '../../src/db/connection.ts';
import { createModels, ensureIndexes, type Models } from '../../src/db/models/index.ts';
import { claimOne, releaseSlot } from '../../src/ingest/debounce.ts';
import { pendingUpsert } from '../../src/ingest/store.ts';
import { createWorkerLock } from '../../src/ingest/worker-lock.ts';
import { createLogger } from '../../src/logger.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { until } from '../helpers/ingest.ts';

let mongo: MongoHandles;
let models: Models;
beforeAll(async () => {
  mongo = await connectMongo({ uri: uniqueMongoUri('ingestlock').uri, logger: createLogger({ level: 'error' }) });
  models = createModels(mongo.conn);
  await ensureIndexes(models);
});
afterAll(async () => {
  await mongo?.conn.dropDatabase().catch(() => undefined);
  await mongo?.close();
});

const fold = (id: string, events: string[], at = Date.now()) =>
  models.PendingUnit.collection.bulkWrite([pendingUpsert({ t: 'company', i: id, e: events.map((e) => ({ id: e, st: 'company.propertyChange', at: new Date(at) })) }, at, 0)] as never);

describe('the ingest worker lock and window release under takeover', () => {
  it('when a stalled worker lost its lease to another, then its renewal fails and it learns it no longer holds the lock', async () => {
    const a = createWorkerLock(models, 300);
    const b = createWorkerLock(models, 300);
    expect(await a.acquire()).toBe('new');
    expect(await b.acquire()).toBeNull();
    // a stalls past its lease; b takes over.
    const taken = await until(async () => (await b.acquire()) === 'new', 5000, 'takeover');
    expect(taken).toBe(true);
    expect(await a.renew()).toBe(false);
    expect(a.holds()).toBe(false);
    expect(await b.renew()).toBe(true);
    expect((await models.IngestLock.collection.findOne({ _id: 'worker' as never }))?.token).toBe(b.token);
  });

  it("when the old claimer releases a window the new one re-claimed and folded events into, then nothing of the new holder's is deleted", async () => {
    await fold('77', ['e1']);
    const old = await claimOne(models, { leaseMs: 1, maxWaitMs: 60_000 });
    expect(old?.slot).toBe('company:77');
    // The old claim's lease lapses; the new holder re-claims the window, and a new event is folded in.
    const fresh = await until(async () => claimOne(models, { leaseMs: 60_000, maxWaitMs: 60_000 }), 5000, 're-claim');
    await fold('77', ['e2']);
    await releaseSlot(models, old as NonNullable<typeof old>);
    const doc = await models.PendingUnit.collection.findOne({ _id: 'company:77' as never });
    expect(doc?.claimedBy).toBe(fresh.claimedBy);
    expect((doc?.events as { id: string }[]).map((e) => e.id).sort()).toEqual(['e1', 'e2']);
    // The new holder's own release keeps the event that arrived after its claim.
    await releaseSlot(models, fresh);
    const left = await models.PendingUnit.collection.findOne({ _id: 'company:77' as never });
    expect((left?.events as { id: string }[]).map((e) => e.id)).toEqual(['e2']);
    expect(left?.claimedBy).toBeUndefined();
  });
});
