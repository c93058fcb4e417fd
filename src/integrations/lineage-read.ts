import type { Driver } from 'neo4j-driver';
import { classifyError } from './errors.ts';

/**
 * Read side of the Neo4j lineage (see lineage.ts for the graph): a fixed set of parameterised
 * Cypher queries. Nothing here builds Cypher from user input; parameters only.
 */
export interface TracedApproval {
  approvalId: string;
  decision: string | null;
  actor: string | null;
  at: string | null;
  reason: string | null;
  policy: { name: string; version: string; validFrom: string | null; validTo: string | null; createdBy: string | null } | null;
}
export interface TracedRun {
  runId: string;
  workflowId: string | null;
  objectType: string | null;
  objectId: string | null;
  eventIds: string[];
  approvals: TracedApproval[];
  writes: { system: string; recordId: string; op: string | null; at: string | null }[];
}
export interface PolicyNode {
  name: string;
  version: number;
  validFrom: string | null;
  validTo: string | null;
  createdBy: string | null;
  description: string | null;
  rules: unknown[];
  thresholds: Record<string, unknown>;
}
export interface DecidedBy {
  approvalId: string;
  runId: string;
  decision: string | null;
  at: string | null;
  reason: string | null;
  policy: { name: string; version: string } | null;
}

export interface LineageReader {
  /** Run ids recorded for one CRM object, oldest first by id order of the graph (sorted later by the caller). */
  runsOf(objectType: string, objectId: string): Promise<string[]>;
  /** Events, approvals (with the policy version node), and writes of each run; unknown runs are left out. */
  trace(runIds: string[]): Promise<TracedRun[]>;
  /** The policy version in force at `at` (validFrom ≤ at < validTo), highest version first. */
  policyAt(name: string, at: Date): Promise<PolicyNode | null>;
  /** Approvals decided by one Slack user at or after `since`. */
  decidedBy(actor: string, since: Date): Promise<DecidedBy[]>;
}

const RUNS_OF = 'MATCH (r:Run {objectType: $objectType, objectId: $objectId}) RETURN r.id AS id LIMIT 200';

const TRACE = `
UNWIND $runIds AS runId
MATCH (r:Run {id: runId})
OPTIONAL MATCH (e:Event)-[:TRIGGERED]->(r)
WITH r, collect(DISTINCT e.id) AS eventIds
OPTIONAL MATCH (r)-[:DECIDED_BY]->(a:Approval)
OPTIONAL MATCH (a)-[:UNDER_POLICY]->(p:Policy)
WITH r, eventIds, collect(DISTINCT CASE WHEN a IS NULL THEN NULL ELSE {approvalId: a.id, decision: a.decision, actor: a.actor, at: a.at, reason: a.reason,
  policy: CASE WHEN p IS NULL THEN NULL ELSE {name: p.name, version: p.version, validFrom: toString(p.validFrom), validTo: toString(p.validTo), createdBy: p.createdBy} END} END) AS approvals
OPTIONAL MATCH (r)-[w:WROTE]->(rec:Record)
RETURN r.id AS runId, r.workflowId AS workflowId, r.objectType AS objectType, r.objectId AS objectId, eventIds, approvals,
  collect(DISTINCT CASE WHEN rec IS NULL THEN NULL ELSE {system: rec.system, recordId: rec.id, op: w.op, at: w.at} END) AS writes`;

// "Which policy applied on date X" is this one query over the validity intervals.
const POLICY_AT = `
MATCH (p:Policy {name: $name})
WHERE p.validFrom IS NOT NULL AND p.validFrom <= datetime($at) AND (p.validTo IS NULL OR p.validTo > datetime($at))
RETURN p.name AS name, toInteger(p.version) AS version, toString(p.validFrom) AS validFrom, toString(p.validTo) AS validTo,
  p.createdBy AS createdBy, p.description AS description, p.rules AS rules, p.thresholds AS thresholds
ORDER BY toInteger(p.version) DESC LIMIT 1`;

const DECIDED_BY = `
MATCH (r:Run)-[:DECIDED_BY]->(a:Approval {actor: $actor})
WHERE a.at >= $since
OPTIONAL MATCH (a)-[:UNDER_POLICY]->(p:Policy)
RETURN a.id AS approvalId, r.id AS runId, a.decision AS decision, a.at AS at, a.reason AS reason,
  CASE WHEN p IS NULL THEN NULL ELSE {name: p.name, version: p.version} END AS policy
ORDER BY a.at DESC LIMIT 100`;

/** Neo4j prints datetimes without trailing zeros (`.23Z`); everything else in orch is `toISOString()`. */
const isoOrNull = (v: unknown): string | null => (typeof v === 'string' && v && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : null);

function parseJson<T>(text: unknown, fallback: T): T {
  try {
    return typeof text === 'string' ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

/**
 * A Slack answer cannot wait for the driver's 30 s of retries: past this, the caller falls back to
 * MongoDB. Generous, because the first read of a fresh driver also opens its connection.
 */
export const READ_TIMEOUT_MS = 10_000;

export function createLineageReader(driver: Driver, timeoutMs = READ_TIMEOUT_MS): LineageReader {
  async function read(cypher: string, params: Record<string, unknown>) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Neo4j did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return (await Promise.race([driver.executeQuery(cypher, params, { routing: 'READ' }), timeout])).records;
    } catch (err) {
      throw classifyError('neo4j', err);
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    async runsOf(objectType, objectId) {
      return (await read(RUNS_OF, { objectType, objectId: String(objectId) })).map((r) => String(r.get('id')));
    },
    async trace(runIds) {
      if (runIds.length === 0) return [];
      const rows = await read(TRACE, { runIds });
      return rows.map((r) => ({
        runId: String(r.get('runId')),
        workflowId: (r.get('workflowId') as string | null) ?? null,
        objectType: (r.get('objectType') as string | null) ?? null,
        objectId: (r.get('objectId') as string | null) ?? null,
        eventIds: (r.get('eventIds') as string[]).sort(),
        approvals: (r.get('approvals') as TracedApproval[]).map((a) => (a.policy ? { ...a, policy: { ...a.policy, validFrom: isoOrNull(a.policy.validFrom), validTo: isoOrNull(a.policy.validTo) } } : a)),
        writes: r.get('writes') as TracedRun['writes'],
      }));
    },
    async policyAt(name, at) {
      const row = (await read(POLICY_AT, { name, at: at.toISOString() }))[0];
      if (!row) return null;
      return {
        name: String(row.get('name')),
        version: Number(row.get('version')),
        validFrom: isoOrNull(row.get('validFrom')),
        validTo: isoOrNull(row.get('validTo')),
        createdBy: (row.get('createdBy') as string | null) ?? null,
        description: (row.get('description') as string | null) ?? null,
        rules: parseJson<unknown[]>(row.get('rules'), []),
        thresholds: parseJson<Record<string, unknown>>(row.get('thresholds'), {}),
      };
    },
    async decidedBy(actor, since) {
      const rows = await read(DECIDED_BY, { actor, since: since.toISOString() });
      return rows.map((r) => ({
        approvalId: String(r.get('approvalId')),
        runId: String(r.get('runId')),
        decision: (r.get('decision') as string | null) ?? null,
        at: (r.get('at') as string | null) ?? null,
        reason: (r.get('reason') as string | null) ?? null,
        policy: (r.get('policy') as DecidedBy['policy']) ?? null,
      }));
    },
  };
}
