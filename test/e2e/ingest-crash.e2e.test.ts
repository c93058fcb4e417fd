import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModels, type Models } from '../../src/db/models/index.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { creation, hubspotPoster, propertyChange, until } from '../helpers/ingest.ts';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';


let fakes: Fakes;
let conn: mongoose.Connection;
let db: Models;
let uri: string;

// A short lease so the restarted process takes the dead one's worker lock over quickly.
const start = (debounceMs: string, leaseMs = '3000') => startAppProcess({ fakes, mongoUri: uri, env: { ORCH_DEBOUNCE_MS: debounceMs, ORCH_INGEST_POLL_MS: '50', ORCH_INGEST_LEASE_MS: leaseMs, LOG_LEVEL: 'warn' } });
const poster = (app: AppProcess) => hubspotPoster(app.url, app.url, app.env.HUBSPOT_CLIENT_SECRET as string);

beforeAll(async () => {
  fakes = await startFakes();
  uri = uniqueMongoUri('ingestcrash').uri;
  conn = await mongoose.createConnection(uri).asPromise();
  db = createModels(conn);
});

afterAll(async () => {
  if (process.env.INGEST_E2E_LOGS) (await import('node:fs')).writeFileSync(`${process.env.INGEST_E2E_LOGS}.crash`, uri);
  await conn?.close();
  await fakes?.stop();
});

describe('ingest durability', () => {
  it('when the process is killed (SIGKILL) after acknowledging and before processing, then everything is processed once after restart', async () => {
    const ids = [7001, 7002, 7003, 7004, 7005];
    for (const id of ids) fakes.hubspot.put('companies', { id: String(id), properties: { name: `Crash ${id}` } });
    // A window far longer than the test needs: nothing can be processed before the kill. The default
    // 60 s unit lease: the restarted worker must not wait for it (only for the dead one's 10 s lock).
    const app = await start('4000', '60000');
    const post = poster(app);
    const acks = await Promise.all([post(ids.map((id) => creation('company', id))), post(ids.map((id) => propertyChange('company', id, 'domain', `${id}.test`)))]);
    expect(acks.map((a) => a.status)).toEqual([200, 200]);
    await app.kill();
    expect(await db.Run.countDocuments()).toBe(0);
    expect(await db.PendingUnit.countDocuments() + (await db.IngestInbox.countDocuments())).toBeGreaterThan(0);
    expect(await db.WebhookEvent.countDocuments({ status: 'received' })).toBe(10);

    await app.restart();
    await until(async () => ((await db.WorkUnit.countDocuments({ status: 'done' })) === 5 ? true : null), 20_000, '5 units done');
    expect(await db.Run.countDocuments()).toBe(5);
    expect(await db.WebhookEvent.countDocuments({ status: 'processed' })).toBe(10);
    const keys = (await db.Run.find({}, { correlationKey: 1 }).lean()).map((r) => r.correlationKey);
    expect(new Set(keys).size).toBe(5);
  }, 60_000);

  it('when two instances share the database, then each unit is claimed and processed by one of them only', async () => {
    const a = await start('300', '20000');
    // The second instance shares the database and the HubSpot secret of the first.
    const b = await startAppProcess({ fakes, mongoUri: uri, env: { ORCH_DEBOUNCE_MS: '300', ORCH_INGEST_POLL_MS: '50', ORCH_INGEST_LEASE_MS: '20000', LOG_LEVEL: 'warn', HUBSPOT_CLIENT_SECRET: a.env.HUBSPOT_CLIENT_SECRET as string } });
    const ids = Array.from({ length: 12 }, (_, i) => 8000 + i);
    for (const id of ids) fakes.hubspot.put('companies', { id: String(id), properties: { name: `Twin ${id}` } });
    const postA = poster(a);
    const postB = poster(b);
    // Each object's events arrive through both instances, as behind a load balancer.
    await Promise.all(ids.flatMap((id) => [postA([propertyChange('company', id, 'name', 'A')]), postB([propertyChange('company', id, 'industry', 'B')])]));
    const query = { objectId: { $in: ids.map(String) } };
    const windows = { _id: { $in: ids.map((i) => `company:${i}`) } };
    await until(async () => ((await db.WebhookEvent.countDocuments({ ...query, status: 'processed' })) === 24 && (await db.PendingUnit.countDocuments(windows)) === 0 ? true : null), 45_000, 'all processed');
    expect(await db.Run.countDocuments(query)).toBe(12);
    // No event went through two units (bursts may split under load; runs stay exactly-once anyway).
    const unitEventIds = (await db.WorkUnit.find(query, { eventIds: 1 }).lean()).flatMap((u) => u.eventIds ?? []);
    expect(unitEventIds).toHaveLength(24);
    expect(new Set(unitEventIds).size).toBe(24);
  }, 90_000);
});
