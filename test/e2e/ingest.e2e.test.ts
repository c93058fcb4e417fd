import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { createModels, type Models } from '../../src/db/models/index.ts';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import type { Envelope } from '../../src/ingest/enrich.ts';
import { creation, hubspotPoster, propertyChange, until } from '../helpers/ingest.ts';


let fakes: Fakes;
let app: AppProcess;
let conn: mongoose.Connection;
let db: Models;
let post: ReturnType<typeof hubspotPoster>;
let nextId = 1000;
const oid = () => ++nextId;

interface ApiItem {
  id: string;
  status: string;
  objectId?: string;
  reason?: string;
  raw?: { occurredAt?: unknown; objectId?: unknown };
}
interface ApiBody {
  items: ApiItem[];
  next: string | null;
  status?: string;
  runs?: { created: boolean }[];
}

async function api(method: string, path: string, body?: unknown) {
  const r = await app.api<ApiBody>(method, `/api${path}`, body);
  return { status: r.status, body: r.body };
}

beforeAll(async () => {
  fakes = await startFakes();
  const { uri } = uniqueMongoUri('ingestint');
  app = await startAppProcess({
    fakes,
    mongoUri: uri,
    // Shared-token writes naming their actor (legacy, issue 13); personal tokens: api-auth.e2e.test.ts.
    env: { ORCH_DEBOUNCE_MS: '2500', ORCH_INGEST_POLL_MS: '50', ORCH_INGEST_MAX_ATTEMPTS: '2', LOG_LEVEL: 'warn', ORCH_API_TOKEN_WRITES: 'legacy' },
  });
  post = hubspotPoster(app.url, app.url, app.env.HUBSPOT_CLIENT_SECRET as string);
  conn = await mongoose.createConnection(uri).asPromise();
  db = createModels(conn);
});

afterAll(async () => {
  if (process.env.INGEST_E2E_LOGS) (await import('node:fs')).writeFileSync(process.env.INGEST_E2E_LOGS, `${app?.env.MONGODB_URI}\n${app?.logs() ?? ''}`);
  await app?.stop();
  await conn?.close();
  await fakes?.stop();
});

beforeEach(() => fakes.hubspot.reset());

const models = () => db;
const runsFor = (objectId: number) => models().Run.find({ objectId: String(objectId) }).lean();

describe('POST /webhooks/hubspot', () => {
  it('when the body is not JSON or not an array, then 400 and nothing is stored', async () => {
    const before = await models().WebhookEvent.countDocuments();
    expect((await post('{"eventId":')).status).toBe(400);
    expect((await post('{"eventId":1}')).status).toBe(400);
    expect(await models().WebhookEvent.countDocuments()).toBe(before);
  });

  it('when the signature is missing, wrong or stale, then 401 with the reason and nothing is stored', async () => {
    const before = await models().WebhookEvent.countDocuments();
    const ev = [creation('company', oid())];
    expect(await post(ev, { sign: 'none' })).toMatchObject({ status: 401, body: { error: 'missing_signature' } });
    expect(await post(ev, { secret: 'wrong' })).toMatchObject({ status: 401, body: { error: 'bad_signature' } });
    expect(await post(ev, { signedUrl: 'https://elsewhere.test/webhooks/hubspot' })).toMatchObject({ status: 401, body: { error: 'bad_signature' } });
    expect(await post(ev, { timestamp: Date.now() - 6 * 60_000 })).toMatchObject({ status: 401, body: { error: 'stale_timestamp' } });
    expect(await models().WebhookEvent.countDocuments()).toBe(before);
  });

  it('when the body is over 1 MB, then 413 JSON', async () => {
    const big = JSON.stringify([{ x: 'a'.repeat(1_100_000) }]);
    const r = await post(big);
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ error: 'payload_too_large' });
  });

  it('when a company is created, then one PENDING company-intake run is created with the envelope', async () => {
    const id = oid();
    fakes.hubspot.put('companies', { id: String(id), properties: { name: 'Acme', domain: 'acme.test' } });
    const r = await post([creation('company', id), propertyChange('company', id, 'domain', 'acme.test')]);
    expect(r).toMatchObject({ status: 200, body: { accepted: 2 } });
    const [run] = await until(async () => ((await runsFor(id)).length ? runsFor(id) : null));
    expect(run).toMatchObject({ workflowId: 'company-intake', objectType: 'company' });
    expect(run?.correlationKey).toMatch(new RegExp(`^company:${id}:\\d+:company-intake$`));
    expect((run?.envelope as Envelope).meta.eventIds).toHaveLength(2);
    expect((run?.envelope as Envelope).payload.properties.name).toBe('Acme');
  });
});

describe('validation, dedupe and debounce', () => {
  it('when one event of a batch is malformed, then only it is quarantined (visible in the API) and the rest is accepted with 200', async () => {
    const id = oid();
    fakes.hubspot.put('companies', { id: String(id), properties: { name: 'Q Corp' } });
    const bad = { eventId: 5, portalId: 62515, subscriptionType: 'company.propertyChange', objectId: id, occurredAt: 'not-a-time' };
    const r = await post([creation('company', id), bad, propertyChange('company', id, 'name', 'Q Corp')]);
    expect(r).toMatchObject({ status: 200, body: { accepted: 2, quarantined: 1 } });
    const q = await api('GET', `/events?status=quarantined&objectId=${id}`);
    const listed = await api('GET', '/events?status=quarantined&limit=200');
    const item = listed.body.items.find((i) => i.raw?.occurredAt === 'not-a-time' && i.raw?.objectId === id);
    expect(q.status).toBe(200);
    expect(item).toMatchObject({ status: 'quarantined', reason: expect.stringContaining('occurredAt') });
    await until(async () => ((await runsFor(id)).length === 1 ? true : null));
  });

  it('when the same batch is delivered 5 times, then one set of events is stored, 4 duplicates are counted and no extra run is created', async () => {
    const id = oid();
    fakes.hubspot.put('companies', { id: String(id), properties: { name: 'Five Inc' } });
    const batch = [creation('company', id), propertyChange('company', id, 'industry', 'SOFTWARE')];
    const first = await post(batch);
    expect(first.body).toMatchObject({ accepted: 2, duplicates: 0 });
    for (let attempt = 1; attempt <= 4; attempt++) {
      const again = await post(batch.map((e) => ({ ...e, attemptNumber: attempt })));
      expect(again).toMatchObject({ status: 200, body: { accepted: 0, duplicates: 2 } });
    }
    await until(async () => ((await runsFor(id)).length ? true : null));
    // Later re-deliveries (after the run exists) are duplicates too.
    expect((await post(batch)).body).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(await models().WebhookEvent.countDocuments({ objectId: String(id) })).toBe(2);
    // Every delivery's raw batch is kept for forensics, each with its count of re-delivered events;
    // the last post repeats the first one's exact bytes, so it is counted on that copy, not stored again (issue 14).
    const deliveries = await models().WebhookBatch.find({ body: { $regex: `"objectId":${id}[,}]` } }, { duplicates: 1, replays: 1 }).lean();
    expect(deliveries.map((b) => b.duplicates).sort()).toEqual([0, 2, 2, 2, 2]);
    expect(deliveries.map((b) => b.replays ?? 0).sort()).toEqual([0, 0, 0, 0, 1]);
    expect(await models().WorkUnit.countDocuments({ objectId: String(id) })).toBe(1);
    expect(await runsFor(id)).toHaveLength(1);
  });

  it('when 200 propertyChange events for 10 objects arrive within one second, then exactly 10 units and 10 runs are created', async () => {
    const ids = Array.from({ length: 10 }, () => oid());
    for (const id of ids) fakes.hubspot.put('companies', { id: String(id), properties: { name: `Burst ${id}`, industry: 'RETAIL' } });
    const t0 = Date.now();
    const batches = Array.from({ length: 10 }, (_, b) => ids.flatMap((id, i) => [propertyChange('company', id, 'industry', `V${b}`, { occurredAt: t0 + b * 10 + i }), propertyChange('company', id, 'name', `N${b}`, { occurredAt: t0 + b * 10 + i })]));
    const results = await Promise.all(batches.map((b) => post(b)));
    const times = batches.flat().map((e) => e.occurredAt);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(1000);
    expect(results.every((r) => r.status === 200 && r.body.accepted === 20)).toBe(true);
    const query = { objectId: { $in: ids.map(String) } };
    const windows = { _id: { $in: ids.map((i) => `company:${i}`) } };
    await until(async () => ((await models().Run.countDocuments(query)) >= 10 && (await models().PendingUnit.countDocuments(windows)) + (await models().IngestInbox.countDocuments()) === 0 ? true : null), 50_000, '10 runs');
    expect(await models().WorkUnit.countDocuments(query)).toBe(10);
    expect(await models().Run.countDocuments(query)).toBe(10);
    const unit = await models().WorkUnit.findOne({ objectId: String(ids[0]) }).lean();
    expect(unit?.eventIds).toHaveLength(20);
    const run = await models().Run.findOne({ objectId: String(ids[0]) }).lean();
    const occurred = ((run?.envelope as Envelope).meta.eventIds as string[]).length;
    expect(occurred).toBe(20);
  }, 70_000);
});

describe('enrichment', () => {
  it('when the object is gone from HubSpot (404), then its events are recorded as skipped with a reason and no run is created', async () => {
    const id = oid();
    const r = await post([propertyChange('company', id, 'name', 'Ghost')]);
    expect(r.status).toBe(200);
    const ev = await until(async () => (await models().WebhookEvent.findOne({ objectId: String(id), status: 'skipped' }).lean()) ?? null, 20_000);
    expect(ev.reason).toMatch(/not found/);
    const listed = await api('GET', `/events?status=skipped&objectId=${id}`);
    expect(listed.body.items).toHaveLength(1);
    expect(await runsFor(id)).toHaveLength(0);
  });

  it('when HubSpot answers 429 and then 200, then the read is retried and the run is created', async () => {
    const id = oid();
    fakes.hubspot.put('companies', { id: String(id), properties: { name: 'Slow Co' } });
    fakes.hubspot.inject({ match: '/batch/read', status: 429, retryAfter: 1, times: 1 });
    await post([creation('company', id)]);
    await until(async () => ((await runsFor(id)).length === 1 ? true : null), 15_000, 'run after 429');
    expect(fakes.hubspot.callsTo('/batch/read').filter((c) => JSON.stringify(c.body).includes(String(id))).length).toBeGreaterThanOrEqual(2);
  });

});

describe('replay', () => {
  it('when an event is replayed, then nothing new is created; forced by an admin, a second run is created and audited', async () => {
    const id = oid();
    fakes.hubspot.put('companies', { id: String(id), properties: { name: 'Replay SA' } });
    await post([creation('company', id)]);
    await until(async () => ((await runsFor(id)).length === 1 ? true : null));
    const ev = await models().WebhookEvent.findOne({ objectId: String(id) }).lean();
    const plain = await api('POST', `/events/${ev?._id}/replay`, { actor: 'UADMIN1' });
    expect(plain).toMatchObject({ status: 200, body: { status: 'done', runs: [{ created: false }] } });
    expect(await runsFor(id)).toHaveLength(1);

    expect((await api('POST', `/events/${ev?._id}/replay?force=true`, {})).status).toBe(400);
    expect((await api('POST', `/events/${ev?._id}/replay`, { force: true, actor: 'UNOBODY' })).status).toBe(403);
    const forced = await api('POST', `/events/${ev?._id}/replay`, { force: true, actor: 'UADMIN1' });
    expect(forced).toMatchObject({ status: 200, body: { runs: [{ created: true }] } });
    const runs = await runsFor(id);
    expect(runs).toHaveLength(2);
    expect(runs.find((r) => r.forcedBy)?.correlationKey).toMatch(/:forced:unit_/);
    expect(await models().AuditEntry.countDocuments({ action: 'ingest.replay.force', actor: 'UADMIN1', target: ev?._id })).toBe(1);
  });

  it('when events are listed, then pages follow the next cursor without overlap', async () => {
    const first = await api('GET', '/events?limit=3');
    expect(first.body.items).toHaveLength(3);
    const second = await api('GET', `/events?limit=3&next=${first.body.next}`);
    const ids = [...first.body.items, ...second.body.items].map((i) => i.id);
    expect(new Set(ids).size).toBe(6);
    expect((await api('GET', '/events?status=bogus')).status).toBe(400);
  });
});

// Last: exhausting retries opens HubSpot's circuit breaker for 30 s, which would slow the tests after it.
describe('enrichment failures', () => {
  it('when HubSpot keeps failing, then the unit is marked failed, visible through the API, and its events are kept', async () => {
    const id = oid();
    fakes.hubspot.put('companies', { id: String(id), properties: { name: 'Down Ltd' } });
    fakes.hubspot.inject({ match: '/batch/read', status: 503, times: Infinity });
    await post([creation('company', id)]);
    const failed = await until(async () => {
      const r = await api('GET', `/units?status=failed&objectId=${id}`);
      return r.body.items.length ? r.body.items : null;
    }, 25_000, 'failed unit');
    fakes.hubspot.reset();
    expect(failed[0]).toMatchObject({ status: 'failed', objectId: String(id), reason: expect.stringContaining('enrichment failed') });
    expect(await models().WebhookEvent.countDocuments({ objectId: String(id), status: 'failed' })).toBe(1);
    expect(await runsFor(id)).toHaveLength(0);
  }, 40_000);
});
