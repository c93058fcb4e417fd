import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { Registry } from 'prom-client';
import { connectMongo, type MongoHandles } from '../../src/db/connection.ts';
import { createModels, ensureIndexes, type Models } from '../../src/db/models/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createIngestMetrics } from '../../src/ingest/metrics.ts';
import { hubspotWebhookHandlers, WEBHOOK_PATH } from '../../src/ingest/receiver.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { creation, hubspotPoster } from '../helpers/ingest.ts';

const SECRET = 'hubspot-client-secret-for-receiver-test';
const PUBLIC_URL = 'https://orch.public.test';

/** The receiver alone on an express app, logging JSON lines into memory. */
describe('HubSpot webhook receiver: what a user behind a proxy needs from its answers and logs', () => {
  let mongo: MongoHandles;
  let models: Models;
  let server: http.Server;
  let post: ReturnType<typeof hubspotPoster>;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => chunk.toString().split('\n').filter(Boolean).forEach((l) => lines.push(JSON.parse(l) as Record<string, unknown>)));
    const logger = createLogger({ level: 'info', stream });
    mongo = await connectMongo({ uri: uniqueMongoUri('receiver').uri, logger });
    models = createModels(mongo.conn);
    await ensureIndexes(models);
    const app = express();
    app.post(WEBHOOK_PATH, ...hubspotWebhookHandlers({ models, logger, metrics: createIngestMetrics(new Registry()), clientSecret: SECRET, publicUrl: PUBLIC_URL }));
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    post = hubspotPoster(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, PUBLIC_URL, SECRET);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await mongo.conn.dropDatabase();
    await mongo.close();
  });
  const logged = (message: string) => lines.filter((l) => l.message === message);

  it('when the signature does not match, then the log line names the URL it was checked against and the size as a number', async () => {
    const r = await post([creation('company', 1)], { signedUrl: 'http://10.0.0.5:3000/webhooks/hubspot' });
    expect(r.status).toBe(401);
    const line = logged('hubspot webhook rejected').at(-1);
    expect(line).toMatchObject({ reason: 'bad_signature', checkedUrl: `${PUBLIC_URL}/webhooks/hubspot` });
    expect(typeof line?.bytes).toBe('number');
    expect(line?.bytes).toBeGreaterThan(10);
  });

  it('when the timestamp was sent in seconds, then stale_timestamp comes with a hint about milliseconds', async () => {
    const r = await post([creation('company', 2)], { timestamp: Math.floor(Date.now() / 1000) });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('stale_timestamp');
    expect(String(r.body.message)).toContain('milliseconds');
    expect(logged('hubspot webhook rejected').at(-1)?.hint).toMatch(/seconds/);
  });

  it('when the batch is an empty array, then it is answered 200 and nothing is stored', async () => {
    const before = await models.WebhookBatch.countDocuments();
    const r = await post([]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, accepted: 0 });
    expect(await models.WebhookBatch.countDocuments()).toBe(before);
  });

  it('when an event has several problems, then its quarantine reason lists all of them and keeps its objectId', async () => {
    const bad = { subscriptionType: 'contact.propertyChange', objectId: 777, occurredAt: 'yesterday', portalId: 62515 };
    const r = await post([bad, creation('company', 3)]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 1, quarantined: 1 });
    const q = await models.WebhookEvent.findOne({ status: 'quarantined' }).lean<{ reason: string; objectId?: string; objectType?: string }>();
    expect(q?.objectId).toBe('777');
    expect(q?.objectType).toBe('contact');
    for (const problem of ['eventId', 'occurredAt', 'propertyName']) expect(q?.reason).toContain(problem);
  });

  it('when a batch is accepted, then one info line says so with its correlation id and counts', async () => {
    const r = await post([creation('company', 4)]);
    expect(r.status).toBe(200);
    const line = logged('hubspot webhook batch accepted').find((l) => l.batchId === r.body.batchId);
    expect(line).toMatchObject({ level: 'info', correlationId: r.body.batchId, accepted: 1, objects: 1 });
    expect(typeof line?.bytes).toBe('number');
  });
});
