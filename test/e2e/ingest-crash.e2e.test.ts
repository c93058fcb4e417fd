import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModels, type Models } from '../../src/db/models/index.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { creation, hubspotPoster, propertyChange, until } from '../helpers/ingest.ts';
import { spawnApp, type SpawnedApp } from '../helpers/spawn-app.ts';

const SECRET = 'hubspot-client-secret-for-tests';
const PUBLIC_URL = 'https://orch.example.test';

let fakes: Fakes;
let conn: mongoose.Connection;
let db: Models;
let uri: string;
const apps: SpawnedApp[] = [];

function env(over: Record<string, string> = {}) {
  return {
    ...fakes.env(),
    PUBLIC_URL,
    MONGODB_URI: uri,
    SLACK_SIGNING_SECRET: 'slack-signing-secret',
    HUBSPOT_CLIENT_SECRET: SECRET,
    ORCH_API_TOKEN: 'orch-api-token-for-tests-0123456789',
    ORCH_INGEST_POLL_MS: '50',
    LOG_LEVEL: 'warn',
    ...over,
  };
}

beforeAll(async () => {
  fakes = await startFakes();
  uri = uniqueMongoUri('ingestcrash').uri;
  conn = await mongoose.createConnection(uri).asPromise();
  db = createModels(conn);
});

afterAll(async () => {
  for (const a of apps) await a.kill().catch(() => undefined);
  await conn?.close();
  await fakes?.stop();
});

describe('ingest durability', () => {
  it('when the process is killed (SIGKILL) after acknowledging and before processing, then everything is processed once after restart', async () => {
    const ids = [7001, 7002, 7003, 7004, 7005];
    for (const id of ids) fakes.hubspot.put('companies', { id: String(id), properties: { name: `Crash ${id}` } });
    // A window far longer than the test needs: nothing can be processed before the kill.
    const app = await spawnApp(env({ ORCH_DEBOUNCE_MS: '4000' }));
    apps.push(app);
    const post = hubspotPoster(app.url, PUBLIC_URL, SECRET);
    const acks = await Promise.all([post(ids.map((id) => creation('company', id))), post(ids.map((id) => propertyChange('company', id, 'domain', `${id}.test`)))]);
    expect(acks.map((a) => a.status)).toEqual([200, 200]);
    await app.kill();
    expect(await db.Run.countDocuments()).toBe(0);
    expect(await db.WorkUnit.countDocuments({ status: 'pending' })).toBe(5);
    expect(await db.WebhookEvent.countDocuments({ status: 'received' })).toBe(10);

    await app.restart();
    await until(async () => ((await db.WorkUnit.countDocuments({ status: 'done' })) === 5 ? true : null), 20_000, '5 units done');
    expect(await db.Run.countDocuments()).toBe(5);
    expect(await db.WebhookEvent.countDocuments({ status: 'processed' })).toBe(10);
    const keys = (await db.Run.find({}, { correlationKey: 1 }).lean()).map((r) => r.correlationKey);
    expect(new Set(keys).size).toBe(5);
  }, 60_000);

  it('when two instances share the database, then each unit is claimed and processed by one of them only', async () => {
    const [a, b] = await Promise.all([spawnApp(env({ ORCH_DEBOUNCE_MS: '300' })), spawnApp(env({ ORCH_DEBOUNCE_MS: '300' }))]);
    apps.push(a, b);
    const ids = Array.from({ length: 12 }, (_, i) => 8000 + i);
    for (const id of ids) fakes.hubspot.put('companies', { id: String(id), properties: { name: `Twin ${id}` } });
    const postA = hubspotPoster(a.url, PUBLIC_URL, SECRET);
    const postB = hubspotPoster(b.url, PUBLIC_URL, SECRET);
    // Each object's events arrive through both instances, as behind a load balancer.
    await Promise.all(ids.flatMap((id) => [postA([propertyChange('company', id, 'name', 'A')]), postB([propertyChange('company', id, 'industry', 'B')])]));
    const query = { objectId: { $in: ids.map(String) } };
    await until(async () => ((await db.WorkUnit.countDocuments({ ...query, status: { $in: ['pending', 'processing'] } })) === 0 && (await db.Run.countDocuments(query)) >= 12 ? true : null), 20_000, 'all processed');
    expect(await db.Run.countDocuments(query)).toBe(12);
    expect(await db.WebhookEvent.countDocuments({ ...query, status: 'processed' })).toBe(24);
  }, 60_000);
});
