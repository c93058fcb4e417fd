import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import express from 'express';
import { Registry } from 'prom-client';
import { connectMongo, type MongoHandles } from '../../src/db/connection.ts';
import { createModels, ensureIndexes, type Models } from '../../src/db/models/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createIngestMetrics } from '../../src/ingest/metrics.ts';
import { hubspotWebhookHandlers, WEBHOOK_PATH } from '../../src/ingest/receiver.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { creation, hubspotPoster } from '../helpers/ingest.ts';

/** Issue 14 defect 9: no signature downgrade to v1/v2 by default, and a replayed body is stored once. */
const SECRET = 'hubspot-client-secret-for-replay-test';
const PUBLIC_URL = 'https://orch.public.test';

let mongo: MongoHandles;
let models: Models;
const servers: http.Server[] = [];

async function receiver(legacySignatures?: 'allow' | 'refuse') {
  const app = express();
  const logger = createLogger({ level: 'error' });
  app.post(WEBHOOK_PATH, ...hubspotWebhookHandlers({ models, logger, metrics: createIngestMetrics(new Registry()), clientSecret: SECRET, publicUrl: PUBLIC_URL, ...(legacySignatures ? { legacySignatures } : {}) }));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  servers.push(server);
  return hubspotPoster(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, PUBLIC_URL, SECRET);
}

beforeAll(async () => {
  mongo = await connectMongo({ uri: uniqueMongoUri('whreplay').uri, logger: createLogger({ level: 'error' }) });
  models = createModels(mongo.conn);
  await ensureIndexes(models);
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await mongo?.conn.dropDatabase().catch(() => undefined);
  await mongo?.close();
});
beforeEach(async () => {
  await Promise.all([models.WebhookBatch.deleteMany({}), models.WebhookEvent.deleteMany({})]);
});

describe('legacy signatures', () => {
  it('when a request carries only a valid v1 signature and HUBSPOT_LEGACY_SIGNATURES is not set, then it is refused with 401 and nothing is stored', async () => {
    const post = await receiver();
    const res = await post([creation('company', 9001)], { sign: 'v1' });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'legacy_signature_refused', message: expect.stringContaining('HUBSPOT_LEGACY_SIGNATURES=allow') });
    expect(await models.WebhookBatch.countDocuments()).toBe(0);
    expect(await models.WebhookEvent.countDocuments()).toBe(0);
  });

  it('when HUBSPOT_LEGACY_SIGNATURES=allow, then the same v1 request is accepted', async () => {
    const post = await receiver('allow');
    const res = await post([creation('company', 9002)], { sign: 'v1' });
    expect(res.status).toBe(200);
    expect(await models.WebhookBatch.countDocuments({ signatureVersion: 'v1' })).toBe(1);
  });

  it('when the request is signed v3, then it is accepted whatever the setting', async () => {
    const post = await receiver('refuse');
    expect((await post([creation('company', 9003)])).status).toBe(200);
  });
});

describe('replayed bodies', () => {
  it('when the same signed bytes are posted five times, then each is answered 200 but the raw batch is stored once and counts the replays', async () => {
    const post = await receiver();
    const body = JSON.stringify([creation('company', 9010), creation('company', 9011)]);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await post(body));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers[0]?.body).toMatchObject({ accepted: 2, duplicates: 0 });
    expect(answers[4]?.body).toMatchObject({ accepted: 0, duplicates: 2, batchId: answers[0]?.body.batchId });
    const batches = await models.WebhookBatch.find({}).lean();
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ replays: 4 });
    expect(await models.WebhookEvent.countDocuments()).toBe(2);
  });

  it('when the same bytes arrive in one group at once, then one copy is stored and both requests are answered 200', async () => {
    const post = await receiver();
    const body = JSON.stringify([creation('company', 9020)]);
    const answers = await Promise.all([post(body), post(body), post(body)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(await models.WebhookBatch.countDocuments()).toBe(1);
  });

  it('when a database from before has a plain sha256 index and copies of one body, then start-up keeps the first copy and makes the index unique', async () => {
    const coll = models.WebhookBatch.collection;
    await coll.dropIndex('sha256_1');
    await coll.createIndex({ sha256: 1 });
    const doc = (id: string) => ({ _id: id as never, sha256: 'abc', body: '[]', events: 0, receivedAt: new Date() });
    await coll.insertMany([doc('whb_2'), doc('whb_1'), doc('whb_3')]);
    await ensureIndexes(models);
    expect((await coll.find({}).toArray()).map((d) => d._id)).toEqual(['whb_1']);
    expect((await coll.indexes()).find((i) => i.name === 'sha256_1')?.unique).toBe(true);
    await expect(coll.insertOne(doc('whb_4'))).rejects.toMatchObject({ code: 11000 });
  });
});
