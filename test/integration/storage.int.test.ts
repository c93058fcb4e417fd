import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import neo4j from 'neo4j-driver';
import { connectMongo, type MongoHandles } from '../../src/db/connection.ts';
import { createModels, ensureIndexes, type Models } from '../../src/db/models/index.ts';
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

  it('when an event with the same dedupe key arrives twice, then one is stored', async () => {
    const ev = { subscriptionType: 'company.creation', dedupeKey: 'k1', batchId: 'b1', raw: { a: 1 } };
    await models.WebhookEvent.create({ _id: 'e1', ...ev });
    await expect(models.WebhookEvent.create({ _id: 'e2', ...ev })).rejects.toMatchObject({ code: 11000 });
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
