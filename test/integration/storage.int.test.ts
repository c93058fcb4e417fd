import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import neo4j from 'neo4j-driver';
import { connectMongo, type MongoHandles } from '../../src/db/connection.ts';
import { createModels, ensureIndexes, type Models } from '../../src/db/models/index.ts';
import { buildEventDocs } from '../../src/ingest/store.ts';
import { createLogger } from '../../src/logger.ts';
import { neo4jUri, uniqueMongoUri } from '../helpers/db.ts';

const logger = createLogger({ level: 'error' });

describe('storage on the real test servers', () => {
  let mongo: MongoHandles;
  let models: Models;
  beforeAll(async () => {
    mongo = await connectMongo({ uri: uniqueMongoUri('storage').uri, logger });
    models = createModels(mongo.conn);
    await ensureIndexes(models);
  });
  afterAll(async () => {
    await mongo.conn.dropDatabase();
    await mongo.close();
  });

  it('when a second run has the same correlation key, then the database refuses it', async () => {
    const base = { workflowId: 'company-intake', objectType: 'company', objectId: '1', correlationKey: 'company:1:1700000000000:company-intake' };
    await models.Run.create({ _id: 'run_a', ...base });
    await expect(models.Run.create({ _id: 'run_b', ...base })).rejects.toMatchObject({ code: 11000 });
    expect(await models.Run.countDocuments({ correlationKey: base.correlationKey })).toBe(1);
  });

  it('when an event with the same dedupe key arrives twice (a re-delivery in another batch), then one is stored', async () => {
    const ev = { eventId: 7, portalId: 1, occurredAt: 1_700_000_000_000, subscriptionType: 'company.creation', objectId: 42, attemptNumber: 0 };
    const [first] = buildEventDocs([ev], 'whb_1', Date.now());
    const [again] = buildEventDocs([{ ...ev, attemptNumber: 1 }], 'whb_2', Date.now());
    await models.WebhookEvent.collection.insertOne(first as never);
    await expect(models.WebhookEvent.collection.insertOne(again as never)).rejects.toMatchObject({ code: 11000 });
    expect(await models.WebhookEvent.countDocuments({ dedupeKey: first?.dedupeKey })).toBe(1);
  });

  it('when a database from before has the unique dedupeKey index, then start-up drops it only once every event id is made from its key', async () => {
    const coll = models.WebhookEvent.collection;
    await coll.createIndex({ dedupeKey: 1 }, { unique: true });
    const old = { _id: 'evt_0000old' as never, dedupeKey: 'k-old', subscriptionType: 'company.creation', status: 'processed', batchId: 'b0', raw: '{}', receivedAt: new Date() };
    await coll.insertOne(old);
    const kept: string[] = [];
    await ensureIndexes(models, (m) => kept.push(m));
    expect((await coll.indexes()).some((i) => i.name === 'dedupeKey_1')).toBe(true);
    expect(kept.join()).toMatch(/dedupeKey index stays/);
    // Still refusing: an old event's key cannot be stored twice while such events exist.
    await expect(coll.insertOne({ ...old, _id: 'evt_k-old' as never })).rejects.toMatchObject({ code: 11000 });
    // A key that is not a string does not fail the start either: the index stays.
    await coll.deleteOne({ _id: old._id });
    await coll.insertOne({ ...old, _id: 'evt_odd' as never, dedupeKey: 5 as never });
    await ensureIndexes(models, (m) => kept.push(m));
    expect((await coll.indexes()).some((i) => i.name === 'dedupeKey_1')).toBe(true);
    await coll.deleteOne({ _id: 'evt_odd' as never });
    kept.length = 1;
    await coll.insertMany(buildEventDocs([{ nope: true }, { ...old, subscriptionType: 'ticket.creation', eventId: 1, portalId: 1, occurredAt: 1 }], 'whb_3', Date.now()) as never[]);
    await ensureIndexes(models, (m) => kept.push(m));
    expect((await coll.indexes()).some((i) => i.name === 'dedupeKey_1')).toBe(false);
    expect(kept).toHaveLength(1);
    // Two instances starting at once both see the old index; neither start fails.
    await coll.createIndex({ dedupeKey: 1 }, { unique: true });
    await Promise.all([ensureIndexes(models), ensureIndexes(models)]);
    expect((await coll.indexes()).some((i) => i.name === 'dedupeKey_1')).toBe(false);
  });

  it('when a new collection gets its indexes while documents are being inserted, then every insert lands and the unique index covers them all', async () => {
    // What happens when a process writes while its driver still builds indexes (mongoose's autoIndex).
    for (let round = 0; round < 60; round++) {
      const coll = mongo.conn.db!.collection<{ _id: string; key: string; at: Date }>(`index_race_${round}`);
      const docs = Array.from({ length: 30 }, (_, i) => ({ _id: `r${i}`, key: `k${i}`, at: new Date(1_700_000_000_000 + i) }));
      const [result] = await Promise.all([
        coll.insertMany(docs),
        coll.createIndexes([{ key: { key: 1 }, unique: true }, { key: { at: -1 } }, { key: { key: 1, at: -1 } }]),
      ]);
      expect(result.insertedCount).toBe(30);
      await expect(coll.insertOne({ _id: 'dup', key: `k${round % 30}`, at: new Date() })).rejects.toMatchObject({ code: 11000 });
      await coll.drop();
    }
  });

  it('when two approvals are opened for one run step, then only the first exists', async () => {
    const a = { runId: 'run_a', step: 'approve', workflowId: 'w', objectType: 'company', objectId: '1' };
    await models.Approval.create({ _id: 'apr_1', ...a });
    await expect(models.Approval.create({ _id: 'apr_2', ...a })).rejects.toMatchObject({ code: 11000 });
  });

  it('when someone tries to rewrite the audit log, then the model refuses', async () => {
    await models.AuditEntry.create({ actor: 'U1', action: 'approval.decide' });
    await expect(models.AuditEntry.updateOne({ actor: 'U1' }, { $set: { actor: 'U2' } })).rejects.toThrow(/append-only/);
    await expect(models.AuditEntry.deleteMany({})).rejects.toThrow(/append-only/);
    expect(await models.AuditEntry.countDocuments({ actor: 'U1' })).toBe(1);
  });
});

describe('Neo4j test server', () => {
  it('when a node is written, then it can be read back over Bolt', async () => {
    const driver = neo4j.driver(neo4jUri(), neo4j.auth.basic('neo4j', 'unused'));
    try {
      const id = `n-${Date.now()}`;
      await driver.executeQuery('CREATE (:Probe {id: $id, note: $note})', { id, note: 'hello' });
      const { records } = await driver.executeQuery('MATCH (p:Probe {id: $id}) RETURN p.note AS note', { id });
      expect(records[0]?.get('note')).toBe('hello');
    } finally {
      await driver.close();
    }
  });
});
