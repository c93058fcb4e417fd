/**
 * `npm run bench:explain`: how long `/orch why` and `/orch ask` take to build their answer
 * (service + builder, in process) over a realistic history: BENCH_RUNS runs (default 20000) on
 * BENCH_OBJECTS companies, each with its webhook event, approval (policy v1 or v2) and Airtable
 * write, in MongoDB (MONGODB_URI or a private mongo-java-server) and in Neo4j (NEO4J_URI or the
 * test bed's in-process server). Prints p50/p95 over BENCH_ITERATIONS (default 50) for a run,
 * a company with 20 runs, `policy --as-of`, and an ask question, from each source.
 */
import { randomBytes } from 'node:crypto';
import neo4j from 'neo4j-driver';
import { benchDatabase } from './database.ts';
import { startNeo4jServer } from '../test/setup/neo4j-server.ts';
import { connectMongo } from '../src/db/connection.ts';
import { createModels, ensureIndexes } from '../src/db/models/index.ts';
import { createLogger } from '../src/logger.ts';
import { createLineage } from '../src/integrations/lineage.ts';
import { explain } from '../src/services/explain.ts';
import { policyAsOf } from '../src/services/policy-lookup.ts';
import { ask } from '../src/services/ask.ts';
import { syncPoliciesToLineage } from '../src/services/policies.ts';
import { buildWhy } from '../blocks/why.ts';
import { buildAskAnswer } from '../blocks/ask.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20_000);
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 1000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 50);
const tag = randomBytes(3).toString('hex');
const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;

async function time(label: string, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  console.log(`${label.padEnd(52)} p50 ${pct(t, 50).toFixed(1)} ms · p95 ${pct(t, 95).toFixed(1)} ms`);
}

const db = await benchDatabase();
const neoServer = process.env.NEO4J_URI ? null : await startNeo4jServer();
const neoUri = process.env.NEO4J_URI ?? (neoServer?.uri as string);
const logger = createLogger({ level: 'error' });
const mongo = await connectMongo({ uri: `${db.uri.replace(/\/[^/]*$/, '')}/bench_explain_${tag}`, logger });
const models = createModels(mongo.conn);
await ensureIndexes(models);
const driver = neo4j.driver(neoUri, neo4j.auth.basic('neo4j', ''), { disableLosslessIntegers: true });
const lineage = createLineage(driver, logger);
await lineage.ensureConstraints();

const policy = `company-intake-${tag}`;
const now = Date.now();
const v2From = new Date(now - 15 * 86_400_000);
await models.Policy.insertMany([
  { name: policy, version: 1, rules: [{ id: 'large_company', when: { field: 'employees', op: 'gt', value: 1000 } }], thresholds: {}, validFrom: new Date(0), validTo: v2From, createdBy: 'seed' },
  { name: policy, version: 2, rules: [{ id: 'mid_company', when: { field: 'employees', op: 'gt', value: 200 } }], thresholds: {}, validFrom: v2From, createdBy: 'UADMIN1' },
]);
await syncPoliciesToLineage(models, lineage);

const t0 = performance.now();
const company = (k: number) => String(10_000 + (k % OBJECTS));
for (let b = 0; b < RUNS; b += 500) {
  const runs = [];
  const events: { _id: string; [k: string]: unknown }[] = [];
  const approvals = [];
  for (let k = b; k < Math.min(RUNS, b + 500); k++) {
    const at = new Date(now - (RUNS - k) * ((30 * 86_400_000) / RUNS));
    const version = at < v2From ? 1 : 2;
    runs.push({ _id: `run_${tag}${k}`, workflowId: 'company-intake', status: 'COMPLETED', objectType: 'company', objectId: company(k), correlationKey: `c:${tag}:${k}`, trigger: { eventIds: [`wev_${tag}${k}`] }, mode: 'live', startedAt: at, finishedAt: new Date(at.getTime() + 60_000), result: { writes: [{ system: 'airtable', target: 'Accounts', op: 'upsert', performed: true, recordId: `rec${k}` }] } });
    events.push({ _id: `wev_${tag}${k}`, dedupeKey: `${tag}:${k}`, eventId: String(k), subscriptionType: 'company.propertyChange', objectType: 'company', objectId: company(k), occurredAt: at, batchId: 'b', raw: {}, status: 'processed' });
    approvals.push({ _id: `apr_${tag}${k}`, runId: `run_${tag}${k}`, step: 'approval', workflowId: 'company-intake', objectType: 'company', objectId: company(k), title: `Company ${company(k)}`, status: 'APPROVED', decision: 'approve', decidedBy: 'UADMIN1', decidedAt: new Date(at.getTime() + 30_000), requestedAt: at, policy: { name: policy, version, matched: [version === 1 ? 'large_company' : 'mid_company'] } });
  }
  await Promise.all([models.Run.insertMany(runs), models.WebhookEvent.insertMany(events), models.Approval.insertMany(approvals)]);
  await driver.executeQuery(
    `UNWIND $rows AS row
     MERGE (r:Run {id: row.runId}) SET r.workflowId = 'company-intake', r.objectType = 'company', r.objectId = row.objectId
     MERGE (e:Event {id: row.eventId}) MERGE (e)-[:TRIGGERED]->(r)
     MERGE (a:Approval {id: row.approvalId}) SET a.decision = 'approve', a.actor = 'UADMIN1', a.at = row.at
     MERGE (p:Policy {name: $policy, version: row.version}) MERGE (r)-[:DECIDED_BY]->(a) MERGE (a)-[:UNDER_POLICY]->(p)
     MERGE (rec:Record {system: 'airtable', id: row.recordId}) MERGE (r)-[w:WROTE]->(rec) SET w.op = 'update', w.at = row.at`,
    { policy, rows: approvals.map((a, i) => ({ runId: a.runId, objectId: a.objectId, eventId: events[i]?._id, approvalId: a._id, at: a.decidedAt.toISOString(), version: String(a.policy.version), recordId: `rec${b + i}` })) },
  );
}
console.log(`seeded ${RUNS} runs on ${OBJECTS} companies (+ events, approvals, writes; lineage in Neo4j) in ${((performance.now() - t0) / 1000).toFixed(1)} s · MongoDB: ${db.kind}`);

const noOpenAI = { openai: null } as never;
for (const [label, neo] of [['Neo4j lineage', driver], ['MongoDB only', null]] as const) {
  const ctx = { models, neo4j: neo, logger, integrations: noOpenAI };
  const mid = Math.floor(RUNS / 2);
  await time(`${label}: /orch why <runId> (service + blocks)`, async () => buildWhy(await explain(ctx, { kind: 'run', id: `run_${tag}${mid}` })));
  await time(`${label}: /orch why company <id> (${Math.round(RUNS / OBJECTS)} runs, 20 shown)`, async () => buildWhy(await explain(ctx, { kind: 'company', id: company(mid) })));
  await time(`${label}: /orch policy --as-of`, () => policyAsOf(ctx, policy, new Date(now - 20 * 86_400_000)));
  await time(`${label}: /orch ask why was company … approved`, async () => buildAskAnswer('q', await ask(ctx, `why was company ${company(mid)} approved?`, 'UADMIN1', new Date())));
}

await driver.close();
await mongo.conn.dropDatabase().catch(() => undefined);
await mongo.close();
await neoServer?.stop();
await db.stop();
