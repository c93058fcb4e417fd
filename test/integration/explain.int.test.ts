import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import neo4j, { type Driver } from 'neo4j-driver';
import { connectMongo, type MongoHandles } from '../../src/db/connection.ts';
import { createModels, ensureIndexes, type Models } from '../../src/db/models/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createLineage, type Lineage } from '../../src/integrations/lineage.ts';
import { addPolicyVersion, syncPoliciesToLineage } from '../../src/services/policies.ts';
import { explain } from '../../src/services/explain.ts';
import { policyAsOf } from '../../src/services/policy-lookup.ts';
import { neo4jUri, uniqueMongoUri } from '../helpers/db.ts';

/**
 * The explanation service against the real test MongoDB and Neo4j: the same story from either
 * source, the policy version in force at the decision (v1) even after v2 exists, and as-of dates.
 * The Neo4j server is shared by every test file, so every id and policy name here is unique.
 */
const logger = createLogger({ level: 'error' });
const uid = randomBytes(4).toString('hex');
const DAY = 86_400_000;
const now = Date.now();
const at = (daysAgo: number) => new Date(now - daysAgo * DAY);
const POLICY = `intake-${uid}`;
const COMPANY = `77${parseInt(uid, 16) % 100000}`;
const DEAL = `88${parseInt(uid, 16) % 100000}`;
const R1 = `run_c1${uid}`;
const R2 = `run_d1${uid}`;
const A1 = `apr_c1${uid}`;

let mongo: MongoHandles;
let models: Models;
let driver: Driver;
let lineage: Lineage;
const withNeo4j = () => ({ models, neo4j: driver, logger });
const mongoOnly = () => ({ models, neo4j: null, logger });

async function seed(): Promise<void> {
  const rules = [
    { id: 'large_company', description: 'More than 1000 employees', when: { field: 'employees', op: 'gt', value: 1000 }, level: 'MEDIUM', requiresApproval: true },
    { id: 'regulated_industry', description: 'Regulated industry', when: { field: 'industry', op: 'in', value: ['BANKING'] }, level: 'HIGH', requiresApproval: true },
  ];
  await models.Policy.create({ name: POLICY, version: 1, rules, thresholds: { employees: 1000 }, validFrom: at(30), createdBy: 'seed' });
  await syncPoliciesToLineage(models, lineage);
  await models.WebhookEvent.insertMany([
    { _id: `ev_a${uid}`, dedupeKey: `k1${uid}`, eventId: '5001', subscriptionType: 'company.creation', objectType: 'company', objectId: COMPANY, occurredAt: at(10), batchId: 'b1', raw: {}, status: 'processed' },
    { _id: `ev_b${uid}`, dedupeKey: `k2${uid}`, eventId: '5002', subscriptionType: 'deal.creation', objectType: 'deal', objectId: DEAL, occurredAt: at(2), batchId: 'b2', raw: {}, status: 'processed' },
  ]);
  await models.Run.insertMany([
    { _id: R1, workflowId: 'company-intake', status: 'COMPLETED', objectType: 'company', objectId: COMPANY, correlationKey: `c:${uid}`, trigger: { eventIds: [`ev_a${uid}`] }, mode: 'live', startedAt: at(10), finishedAt: at(5), result: { writes: [{ system: 'airtable', target: 'Accounts', op: 'upsert', performed: true, recordId: `rec${uid}` }] } },
    { _id: R2, workflowId: 'procurement-approval', status: 'WAITING_APPROVAL', objectType: 'deal', objectId: DEAL, correlationKey: `d:${uid}`, trigger: { eventIds: [`ev_b${uid}`] }, mode: 'dry-run', startedAt: at(2) },
  ]);
  await models.Approval.insertMany([
    { _id: A1, runId: R1, step: 'approval', workflowId: 'company-intake', objectType: 'company', objectId: COMPANY, title: 'Acme <!channel> Bank', status: 'APPROVED', policy: { name: POLICY, version: 1, matched: ['regulated_industry'], rules }, requestedAt: at(10), decidedAt: at(5), decidedBy: 'UADMIN1', decision: 'approve', reason: 'known customer', slack: { channel: 'C0APPROVALS', ts: '1764000000.000100' } },
    { _id: `apr_d1${uid}`, runId: R2, step: 'approval', workflowId: 'procurement-approval', objectType: 'deal', objectId: DEAL, title: 'Big deal', status: 'PENDING', policy: { name: POLICY, version: 2, matched: [] }, requestedAt: at(2), diff: [{ field: 'approval_status', kind: 'added', old: null, new: 'approved' }] },
  ]);
  await lineage.recordRun({ runId: R1, workflowId: 'company-intake', objectType: 'company', objectId: COMPANY, eventIds: [`ev_a${uid}`] });
  await lineage.recordApproval({ approvalId: A1, runId: R1, decision: 'approve', actor: 'UADMIN1', policy: { name: POLICY, version: 1 }, at: at(5), reason: 'known customer' });
  await lineage.recordWrite({ runId: R1, system: 'airtable', recordId: `rec${uid}`, op: 'create' });
  await lineage.recordRun({ runId: R2, workflowId: 'procurement-approval', objectType: 'deal', objectId: DEAL, eventIds: [`ev_b${uid}`] });
  // v2 comes after the decision: explanations must keep saying v1.
  await addPolicyVersion(models, { name: POLICY, rules: [rules[0] as never], thresholds: { employees: 500 }, validFrom: at(1) }, 'UADMIN2', lineage);
}

beforeAll(async () => {
  const { uri } = uniqueMongoUri('explain');
  mongo = await connectMongo({ uri, logger });
  models = createModels(mongo.conn);
  await ensureIndexes(models);
  driver = neo4j.driver(neo4jUri(), neo4j.auth.basic('neo4j', ''), { disableLosslessIntegers: true });
  lineage = createLineage(driver, logger);
  await lineage.ensureConstraints();
  await seed();
});

afterAll(async () => {
  await driver?.close();
  await mongo?.conn.dropDatabase().catch(() => undefined);
  await mongo?.close();
});

describe('explain(): the same story from Neo4j and from MongoDB', () => {
  for (const [label, ctx] of [['Neo4j', withNeo4j], ['MongoDB', mongoOnly]] as const) {
    it(`when a run approved under v1 is explained after v2 exists (${label}), then the story names the event, the run, the approver, policy v1 with its matched rule and validity, and the write`, async () => {
      const story = await explain(ctx(), { kind: 'run', id: R1 });
      expect(story.source).toBe(label === 'Neo4j' ? 'neo4j' : 'mongodb');
      expect(story.events).toEqual([expect.objectContaining({ id: `ev_a${uid}`, eventId: '5001', subscriptionType: 'company.creation' })]);
      expect(story.runs).toEqual([expect.objectContaining({ runId: R1, workflowId: 'company-intake', status: 'COMPLETED', durationMs: 5 * DAY })]);
      expect(story.approvals).toHaveLength(1);
      expect(story.approvals[0]).toMatchObject({ approvalId: A1, decision: 'approve', decidedBy: 'UADMIN1', reason: 'known customer', sheet: { channel: 'C0APPROVALS' } });
      expect(story.approvals[0]?.policy).toMatchObject({ name: POLICY, version: 1, validTo: at(1).toISOString(), createdBy: 'seed', matched: [{ id: 'regulated_industry', description: 'Regulated industry', level: 'HIGH' }] });
      expect(story.writes).toEqual([expect.objectContaining({ runId: R1, system: 'airtable', recordId: `rec${uid}`, performed: true })]);
    });

    it(`when a company is explained (${label}), then its runs and exceptions since are in the story`, async () => {
      await models.Exception.updateOne(
        { _id: `exc_${uid}` },
        { $setOnInsert: { type: 'field_drift', severity: 'medium', objectType: 'company', objectId: COMPANY, openKey: `fd:${uid}:x`, title: 'Domain drift', status: 'resolved', firstSeenAt: at(4), lastSeenAt: at(4), resolvedAt: at(3), resolvedBy: 'UADMIN1', resolution: 'mirror updated' } },
        { upsert: true },
      );
      const story = await explain(ctx(), { kind: 'company', id: COMPANY });
      expect(story.runs.map((r) => r.runId)).toEqual([R1]);
      expect(story.exceptions).toEqual([expect.objectContaining({ exceptionId: `exc_${uid}`, status: 'resolved', resolvedBy: 'UADMIN1', resolution: 'mirror updated' })]);
    });

    it(`when a deal waits for approval in dry-run (${label}), then the approval is pending and nothing is written`, async () => {
      const story = await explain(ctx(), { kind: 'deal', id: DEAL });
      expect(story.runs).toEqual([expect.objectContaining({ runId: R2, status: 'WAITING_APPROVAL' })]);
      expect(story.approvals).toEqual([expect.objectContaining({ status: 'PENDING', decision: null })]);
      expect(story.writes).toEqual([]);
    });

    it(`when asked as of a date before the decision (${label}), then the approval is still pending and nothing was written yet`, async () => {
      const story = await explain(ctx(), { kind: 'company', id: COMPANY }, { asOf: at(7) });
      expect(story.asOf).toBe(at(7).toISOString());
      expect(story.runs).toEqual([expect.objectContaining({ runId: R1, status: 'WAITING_APPROVAL', finishedAt: null })]);
      expect(story.approvals).toEqual([expect.objectContaining({ approvalId: A1, status: 'PENDING', decidedBy: null })]);
      expect(story.writes).toEqual([]);
      expect(story.exceptions).toEqual([]);
      const before = await explain(ctx(), { kind: 'company', id: COMPANY }, { asOf: at(20) });
      expect(before.runs).toEqual([]);
    });

    it(`when the policy is looked up as of dates (${label}), then v1 before v2's start, v2 after, none before v1`, async () => {
      const v1 = await policyAsOf(ctx(), POLICY, at(15));
      expect(v1.source).toBe(label === 'Neo4j' ? 'neo4j' : 'mongodb');
      expect(v1.policy).toMatchObject({ version: 1, createdBy: 'seed', validFrom: at(30).toISOString(), validTo: at(1).toISOString(), thresholds: { employees: 1000 } });
      expect(v1.policy?.rules.map((r) => r.id)).toEqual(['large_company', 'regulated_industry']);
      const v2 = await policyAsOf(ctx(), POLICY, new Date(now));
      expect(v2.policy).toMatchObject({ version: 2, createdBy: 'UADMIN2', validTo: null, thresholds: { employees: 500 } });
      expect((await policyAsOf(ctx(), POLICY, at(40))).policy).toBeNull();
    });
  }

  it('when the run is unknown, then the story is empty, not an error', async () => {
    for (const ctx of [withNeo4j(), mongoOnly()]) {
      const story = await explain(ctx, { kind: 'run', id: `run_nope${uid}` });
      expect(story.runs).toEqual([]);
    }
  });

  it('when a sheet evaluated under v1 is decided after v2 started, then v1 is the version shown and v2 is named as newer', async () => {
    const id = `run_late${uid}`;
    await models.Run.create({ _id: id, workflowId: 'company-intake', status: 'COMPLETED', objectType: 'company', objectId: `55${uid}`, correlationKey: `l:${uid}`, startedAt: at(3), finishedAt: at(0.5) });
    await models.Approval.create({ _id: `apr_late${uid}`, runId: id, step: 'approval', workflowId: 'company-intake', objectType: 'company', objectId: `55${uid}`, status: 'APPROVED', policy: { name: POLICY, version: 1, matched: ['large_company'] }, requestedAt: at(3), decidedAt: at(0.5), decidedBy: 'UADMIN1', decision: 'approve' });
    const story = await explain(mongoOnly(), { kind: 'run', id });
    expect(story.approvals[0]?.policy).toMatchObject({ version: 1, laterVersionAtDecision: 2 });
    const earlier = await explain(mongoOnly(), { kind: 'run', id: R1 });
    expect(earlier.approvals[0]?.policy?.laterVersionAtDecision).toBeNull();
  });

  it('when a run is in MongoDB but not (yet) in the lineage graph, then MongoDB answers and the story says so', async () => {
    const id = `run_nograph${uid}`;
    await models.Run.create({ _id: id, workflowId: 'company-intake', status: 'PENDING', objectType: 'company', objectId: `66${uid}`, correlationKey: `g:${uid}`, startedAt: new Date() });
    const story = await explain(withNeo4j(), { kind: 'run', id });
    expect(story.source).toBe('mongodb');
    expect(story.sourceNote).toContain('no record');
    expect(story.runs).toEqual([expect.objectContaining({ runId: id, status: 'PENDING' })]);
  });

  it('when Neo4j does not answer, then MongoDB does and the story says so', async () => {
    const dead = neo4j.driver('bolt://127.0.0.1:1', neo4j.auth.basic('neo4j', ''), { connectionAcquisitionTimeout: 500, connectionTimeout: 500 });
    try {
      const story = await explain({ models, neo4j: dead, logger }, { kind: 'run', id: R1 });
      expect(story.source).toBe('mongodb');
      expect(story.sourceNote).toContain('Neo4j');
      expect(story.approvals[0]?.policy?.version).toBe(1);
    } finally {
      await dead.close();
    }
  });
});
