import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import neo4j, { type Driver } from 'neo4j-driver';
import { createLogger } from '../../src/logger.ts';
import { createLineage, type Lineage } from '../../src/integrations/lineage.ts';
import { neo4jUri } from '../helpers/db.ts';

const logger = createLogger({ level: 'error' });
const uid = () => randomBytes(5).toString('hex');

describe('Neo4j lineage on the real test server', () => {
  let driver: Driver;
  let lineage: Lineage;
  beforeAll(async () => {
    driver = neo4j.driver(neo4jUri(), neo4j.auth.basic('neo4j', ''), { disableLosslessIntegers: true });
    lineage = createLineage(driver, logger);
    await lineage.ensureConstraints();
  });
  afterAll(() => driver.close());

  async function count(cypher: string, params: Record<string, unknown>): Promise<number> {
    const res = await driver.executeQuery(cypher, params);
    return Number(res.records[0]?.get('n'));
  }

  it('when a run, its approval and its writes are recorded twice, then the graph has no duplicates and explain() names the approver and policy version', async () => {
    const runId = `run_${uid()}`;
    const approvalId = `apr_${uid()}`;
    const ev = [`ev_${uid()}`, `ev_${uid()}`];
    const policy = { name: `company-intake-${uid()}`, version: 3 };
    for (let i = 0; i < 2; i++) {
      expect(await lineage.recordRun({ runId, workflowId: 'company-intake', objectType: 'company', objectId: '101', eventIds: ev })).toBe(true);
      expect(await lineage.recordApproval({ approvalId, runId, decision: 'APPROVED', actor: 'UADMIN1', policy, at: new Date('2026-11-22T05:00:00Z'), reason: null })).toBe(true);
      expect(await lineage.recordWrite({ runId, system: 'airtable', recordId: `rec${runId}`, op: 'upsert' })).toBe(true);
    }
    expect(await count('MATCH (r:Run {id: $runId}) RETURN count(r) AS n', { runId })).toBe(1);
    expect(await count('MATCH (e:Event)-[t:TRIGGERED]->(:Run {id: $runId}) RETURN count(t) AS n', { runId })).toBe(2);
    expect(await count('MATCH (:Run {id: $runId})-[d:DECIDED_BY]->(a:Approval) RETURN count(d) AS n', { runId })).toBe(1);
    expect(await count('MATCH (p:Policy {name: $name}) RETURN count(p) AS n', { name: policy.name })).toBe(1);
    expect(await count('MATCH (:Run {id: $runId})-[w:WROTE]->(:Record) RETURN count(w) AS n', { runId })).toBe(1);

    const why = await lineage.explain(runId);
    expect(why).toMatchObject({
      runId,
      workflowId: 'company-intake',
      objectType: 'company',
      objectId: '101',
      eventIds: [...ev].sort(),
      approvals: [{ approvalId, decision: 'APPROVED', actor: 'UADMIN1', at: '2026-11-22T05:00:00.000Z', policy: { name: policy.name, version: '3' } }],
      writes: [{ system: 'airtable', recordId: `rec${runId}`, op: 'upsert' }],
    });
  });

  it('when two runs share a policy version, then they point at the same Policy node', async () => {
    const policy = { name: `procurement-${uid()}`, version: '1' };
    for (const runId of [`run_${uid()}`, `run_${uid()}`]) {
      await lineage.recordApproval({ approvalId: `apr_${uid()}`, runId, decision: 'REJECTED', actor: 'UADMIN2', policy, at: new Date().toISOString() });
    }
    expect(await count('MATCH (p:Policy {name: $name, version: "1"})<-[:UNDER_POLICY]-(a) RETURN count(DISTINCT p) * 10 + count(a) AS n', { name: policy.name })).toBe(12);
  });

  it('when the run is unknown, then explain() returns null', async () => {
    expect(await lineage.explain(`run_${uid()}`)).toBeNull();
  });

  it('when constraints are ensured again at a restart, then nothing fails and the five constraints exist', async () => {
    await expect(lineage.ensureConstraints()).resolves.toBeUndefined();
    const res = await driver.executeQuery("SHOW CONSTRAINTS YIELD name WHERE name STARTS WITH 'orch_' RETURN collect(name) AS names");
    expect((res.records[0]?.get('names') as string[]).sort()).toEqual(['orch_approval_id', 'orch_event_id', 'orch_policy_key', 'orch_record_key', 'orch_run_id']);
  });

  it('when there is no Neo4j, then every call is a no-op', async () => {
    const off = createLineage(null, logger);
    expect(off.enabled).toBe(false);
    expect(await off.recordRun({ runId: 'r', workflowId: 'w', objectType: 'company', objectId: '1', eventIds: [] })).toBe(false);
    expect(await off.explain('r')).toBeNull();
    await expect(off.ensureConstraints()).resolves.toBeUndefined();
  });

  it('when Neo4j is unreachable, then recording reports false instead of failing the run, and health is degraded', async () => {
    const dead = neo4j.driver('bolt://127.0.0.1:1', neo4j.auth.basic('neo4j', ''), { connectionTimeout: 500, maxTransactionRetryTime: 0 });
    try {
      const broken = createLineage(dead, logger);
      expect(await broken.recordWrite({ runId: 'r', system: 'hubspot', recordId: '1', op: 'update' })).toBe(false);
      expect(await broken.health()).toBe('degraded');
      await expect(broken.explain('r')).rejects.toMatchObject({ name: 'IntegrationError', service: 'neo4j' });
    } finally {
      await dead.close();
    }
  });
});
