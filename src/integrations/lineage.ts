import type { Driver } from 'neo4j-driver';
import type { Logger } from '../logger.ts';
import { classifyError } from './errors.ts';
import type { Health } from './resilience.ts';

/**
 * Provenance in Neo4j: (Event)-[:TRIGGERED]->(Run)-[:DECIDED_BY]->(Approval)-[:UNDER_POLICY]->(Policy),
 * (Run)-[:WROTE]->(Record). Every write is a MERGE on the node keys, so recording the same thing
 * twice (a resumed run, a replayed job) changes nothing. Writes are best-effort: lineage must never
 * fail a run, so a Neo4j error is logged and reported as `false`.
 */
export interface LineageRun {
  runId: string;
  workflowId: string;
  objectType: string;
  objectId: string;
  eventIds: string[];
}
export interface LineageApproval {
  approvalId: string;
  runId: string;
  decision: string;
  actor: string;
  policy: { name: string; version: string | number };
  at: Date | string;
  reason?: string | null;
}
export interface LineageWrite {
  runId: string;
  /** e.g. 'airtable', 'hubspot', 'notion'. */
  system: string;
  recordId: string;
  op: string;
}
/** A policy version as a lineage node: "which version applied at t" is one query on validFrom/validTo. */
export interface LineagePolicy {
  name: string;
  version: string | number;
  validFrom: Date | string;
  validTo?: Date | string | null;
  createdBy?: string | null;
  description?: string | null;
  rules: unknown[];
  thresholds: Record<string, unknown>;
}
export interface Explanation {
  runId: string;
  workflowId: string | null;
  objectType: string | null;
  objectId: string | null;
  eventIds: string[];
  approvals: { approvalId: string; decision: string | null; actor: string | null; at: string | null; reason: string | null; policy: { name: string; version: string } | null }[];
  writes: { system: string; recordId: string; op: string | null }[];
}

export interface Lineage {
  readonly enabled: boolean;
  ensureConstraints(): Promise<void>;
  recordRun(run: LineageRun): Promise<boolean>;
  recordApproval(approval: LineageApproval): Promise<boolean>;
  recordWrite(write: LineageWrite): Promise<boolean>;
  /** Upserts a policy version node with its validity interval (idempotent; called at start and on each new version). */
  recordPolicy(policy: LineagePolicy): Promise<boolean>;
  /** "Why was this done, approved by whom, under which policy?" null when the run is unknown or lineage is off. */
  explain(runId: string): Promise<Explanation | null>;
  health(): Promise<Health>;
}

const CONSTRAINTS = [
  'CREATE CONSTRAINT orch_event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.id IS UNIQUE',
  'CREATE CONSTRAINT orch_run_id IF NOT EXISTS FOR (n:Run) REQUIRE n.id IS UNIQUE',
  'CREATE CONSTRAINT orch_approval_id IF NOT EXISTS FOR (n:Approval) REQUIRE n.id IS UNIQUE',
  'CREATE CONSTRAINT orch_policy_key IF NOT EXISTS FOR (n:Policy) REQUIRE (n.name, n.version) IS UNIQUE',
  'CREATE CONSTRAINT orch_record_key IF NOT EXISTS FOR (n:Record) REQUIRE (n.system, n.id) IS UNIQUE',
  // `/orch why deal 123` finds the runs of an object by these two properties.
  'CREATE INDEX orch_run_object IF NOT EXISTS FOR (n:Run) ON (n.objectType, n.objectId)',
];

const RUN = `
MERGE (r:Run {id: $runId})
SET r.workflowId = $workflowId, r.objectType = $objectType, r.objectId = $objectId
WITH r
UNWIND $eventIds AS eventId
MERGE (e:Event {id: eventId})
MERGE (e)-[:TRIGGERED]->(r)`;

const APPROVAL = `
MERGE (r:Run {id: $runId})
MERGE (a:Approval {id: $approvalId})
SET a.decision = $decision, a.actor = $actor, a.at = $at, a.reason = $reason
MERGE (p:Policy {name: $policyName, version: $policyVersion})
MERGE (r)-[:DECIDED_BY]->(a)
MERGE (a)-[:UNDER_POLICY]->(p)`;

const WRITE = `
MERGE (r:Run {id: $runId})
MERGE (rec:Record {system: $system, id: $recordId})
MERGE (r)-[w:WROTE]->(rec)
SET w.op = $op, w.at = $at`;

// Version is a string on every Policy node (recordApproval writes it so): one node per name+version.
const POLICY = `
MERGE (p:Policy {name: $name, version: $version})
SET p.validFrom = datetime($validFrom), p.validTo = CASE WHEN $validTo IS NULL THEN NULL ELSE datetime($validTo) END,
    p.createdBy = $createdBy, p.description = $description, p.rules = $rules, p.thresholds = $thresholds`;

const EXPLAIN = `
MATCH (r:Run {id: $runId})
OPTIONAL MATCH (e:Event)-[:TRIGGERED]->(r)
WITH r, collect(DISTINCT e.id) AS eventIds
OPTIONAL MATCH (r)-[:DECIDED_BY]->(a:Approval)
OPTIONAL MATCH (a)-[:UNDER_POLICY]->(p:Policy)
WITH r, eventIds, collect(DISTINCT CASE WHEN a IS NULL THEN NULL ELSE {approvalId: a.id, decision: a.decision, actor: a.actor, at: a.at, reason: a.reason,
  policy: CASE WHEN p IS NULL THEN NULL ELSE {name: p.name, version: p.version} END} END) AS approvals
OPTIONAL MATCH (r)-[w:WROTE]->(rec:Record)
RETURN r, eventIds, approvals, collect(DISTINCT CASE WHEN rec IS NULL THEN NULL ELSE {system: rec.system, recordId: rec.id, op: w.op} END) AS writes`;

const iso = (at: Date | string) => (at instanceof Date ? at.toISOString() : new Date(at).toISOString());

export function createLineage(driver: Driver | null, logger: Logger): Lineage {
  let lastError: { at: number } | undefined;
  let lastOkAt = 0;

  async function write(what: string, cypher: string, params: Record<string, unknown>): Promise<boolean> {
    if (!driver) return false;
    try {
      await driver.executeQuery(cypher, params, { routing: 'WRITE' });
      lastOkAt = Date.now();
      return true;
    } catch (err) {
      lastError = { at: Date.now() };
      logger.warn(`lineage: could not record ${what}; the run goes on without it`, { error: classifyError('neo4j', err).message, ...params });
      return false;
    }
  }

  return {
    enabled: driver !== null,
    async ensureConstraints() {
      if (!driver) return;
      for (const c of CONSTRAINTS) {
        try {
          await driver.executeQuery(c);
        } catch (err) {
          // Existing duplicate data or an old server must not stop the app; MERGE still dedupes.
          logger.warn('lineage: could not ensure a constraint', { constraint: c, error: (err as Error).message });
        }
      }
    },
    recordRun: (run) => write('run', RUN, { runId: run.runId, workflowId: run.workflowId, objectType: run.objectType, objectId: String(run.objectId), eventIds: [...new Set(run.eventIds.map(String))] }),
    recordApproval: (a) =>
      write('approval', APPROVAL, {
        runId: a.runId,
        approvalId: a.approvalId,
        decision: a.decision,
        actor: a.actor,
        at: iso(a.at),
        reason: a.reason ?? null,
        policyName: a.policy.name,
        policyVersion: String(a.policy.version),
      }),
    recordWrite: (w) => write('write', WRITE, { runId: w.runId, system: w.system, recordId: String(w.recordId), op: w.op, at: new Date().toISOString() }),
    recordPolicy: (p) =>
      write('policy', POLICY, {
        name: p.name,
        version: String(p.version),
        validFrom: iso(p.validFrom),
        validTo: p.validTo ? iso(p.validTo) : null,
        createdBy: p.createdBy ?? null,
        description: p.description ?? null,
        // Node properties cannot be maps: rules and thresholds are kept as JSON text.
        rules: JSON.stringify(p.rules ?? []),
        thresholds: JSON.stringify(p.thresholds ?? {}),
      }),
    async explain(runId) {
      if (!driver) return null;
      let res;
      try {
        res = await driver.executeQuery(EXPLAIN, { runId }, { routing: 'READ' });
      } catch (err) {
        lastError = { at: Date.now() };
        throw classifyError('neo4j', err);
      }
      lastOkAt = Date.now();
      const row = res.records[0];
      if (!row) return null;
      const run = row.get('r') as { properties: Record<string, string | undefined> };
      return {
        runId,
        workflowId: run.properties.workflowId ?? null,
        objectType: run.properties.objectType ?? null,
        objectId: run.properties.objectId ?? null,
        eventIds: (row.get('eventIds') as string[]).sort(),
        approvals: row.get('approvals') as Explanation['approvals'],
        writes: row.get('writes') as Explanation['writes'],
      };
    },
    async health() {
      if (!driver) return 'degraded';
      return lastError && lastError.at > lastOkAt ? 'degraded' : 'ok';
    },
  };
}
