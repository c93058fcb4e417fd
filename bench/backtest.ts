/**
 * `npm run bench:backtest`: BENCH_RUNS (10000) procurement-approval runs with stored policy facts over
 * 30 days (plus as many company-intake runs as noise) seeded into the test MongoDB (MONGODB_URI, or a
 * mongo-java-server started here); then `POST /api/policies/backtest` through the real app process,
 * timed from request sent to JSON received, BENCH_ITERATIONS (5) times. Target: ≤ 2 s.
 * BENCH_WARM_MS (0): wait this long after start first (the first request otherwise competes with
 * the app's start-up work).
 */
import { MongoClient } from 'mongodb';
import { benchDatabase } from './database.ts';
import { startFakes } from '../test/fakes/index.ts';
import { startAppProcess } from '../test/helpers/app-process.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5);
const STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'contractsent', 'procurement', 'closedwon'];

async function seed(uri: string, dbName: string): Promise<number> {
  const client = new MongoClient(uri);
  await client.connect();
  const runs = client.db(dbName).collection<{ _id: string }>('runs');
  const t0 = performance.now();
  const now = Date.now();
  for (const workflow of ['procurement-approval', 'company-intake']) {
    for (let b = 0; b < RUNS; b += 1000) {
      const docs = [];
      for (let k = b; k < Math.min(RUNS, b + 1000); k++) {
        const startedAt = new Date(now - 60_000 - k * ((29 * 86_400_000) / RUNS));
        const amount = (k * 7919) % 200_000;
        const dealstage = STAGES[k % STAGES.length] as string;
        const did = amount >= 10_000 || dealstage === 'contractsent' || dealstage === 'procurement';
        const facts = workflow === 'procurement-approval' ? { amount, dealstage, pipeline: 'default', owner: `${k % 40}` } : { employees: k % 5000, revenue: amount * 100, industry: 'RETAIL', changedFields: [] };
        docs.push({
          _id: `run_${workflow[0]}${String(k).padStart(7, '0')}`, workflowId: workflow, status: 'COMPLETED', objectType: workflow === 'company-intake' ? 'company' : 'deal', objectId: String(k),
          correlationKey: `${workflow}:${k}`, startedAt, steps: [{ name: 'fetch', status: 'completed' }, { name: 'check_policy', status: 'completed' }],
          policyCheck: { policy: workflow, version: 1, facts, needsApproval: did, matched: did ? ['amount_threshold'] : [], at: startedAt },
        });
      }
      await runs.insertMany(docs, { ordered: false });
    }
  }
  await client.close();
  return performance.now() - t0;
}

const draft = {
  name: 'procurement-approval',
  thresholds: { amount: 20000 },
  rules: [
    { id: 'amount_threshold', when: { field: 'amount', op: 'gte', value: 20000 }, level: 'HIGH', requiresApproval: true },
    { id: 'approval_stage', when: { field: 'dealstage', op: 'in', value: ['contractsent', 'procurement', 'qualifiedtobuy'] }, requiresApproval: true },
    { id: 'big_deal', when: { field: 'amount', op: 'gte', value: 100000 }, requiresApproval: true, approvals: { required: 2, from: 'admins' } },
  ],
  days: 30,
};

const db = await benchDatabase();
const dbName = `bench_backtest_${Date.now()}`;
const uri = `${db.uri.replace(/\/?$/, '/')}${dbName}`;
const seedMs = await seed(db.uri, dbName);
const fakes = await startFakes();
const app = await startAppProcess({ fakes, mongoUri: uri, env: { LOG_LEVEL: 'warn' } });
await new Promise((r) => setTimeout(r, Number(process.env.BENCH_WARM_MS ?? 0)));
const times: number[] = [];
let last: { runs?: number; tookMs?: number; flips?: { toApproval: number; toAuto: number } } = {};
for (let i = 0; i < ITERATIONS; i++) {
  const t = performance.now();
  const res = await app.api<typeof last>('POST', '/api/policies/backtest', draft);
  times.push(performance.now() - t);
  console.log(`  #${i + 1}: ${Math.round(times[i] ?? 0)} ms (server-side ${res.body.tookMs} ms)`);
  if (res.status !== 200) throw new Error(`backtest answered ${res.status}: ${JSON.stringify(res.body)}`);
  last = res.body;
}
const sorted = [...times].sort((a, b) => a - b);
console.log(`bench:backtest on ${db.kind}: ${RUNS} stored procurement-approval runs (+${RUNS} company-intake), seeded in ${Math.round(seedMs)} ms`);
console.log(`  replayed ${last.runs} runs, flips +${last.flips?.toApproval} / -${last.flips?.toAuto}; server-side ${last.tookMs} ms (last)`);
console.log(`  POST /api/policies/backtest: first ${Math.round(times[0] ?? 0)} ms, median ${Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0)} ms, max ${Math.round(sorted.at(-1) ?? 0)} ms over ${ITERATIONS} (target ≤ 2000 ms)`);
await app.stop();
await fakes.stop();
await db.stop();
process.exit((sorted.at(-1) ?? Infinity) <= 2000 ? 0 : 1);
