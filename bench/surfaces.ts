/**
 * `npm run bench:surfaces`: 100k runs (30 days) and 10k approvals seeded into the test MongoDB
 * (MONGODB_URI, or a mongo-java-server started here), then through the real app process and signed Slack
 * requests: `/orch runs` answered (request sent → ephemeral reply received by the Slack fake) and
 * App Home published (app_home_opened sent → views.publish received), p50/p95 each. Also prints
 * the cold snapshot computation (first request after start) and page 2 through the "More" button.
 *   BENCH_RUNS (100000), BENCH_APPROVALS (10000), BENCH_ITERATIONS (30)
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { benchDatabase } from './database.ts';
import { startFakes, type Fakes } from '../test/fakes/index.ts';
import { startAppProcess, type AppProcess } from '../test/helpers/app-process.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 100_000);
const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 10_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 30);
const STATUSES = ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'FAILED', 'CANCELLED', 'WAITING_APPROVAL'];
const WORKFLOWS = ['company-intake', 'procurement-approval'];

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const ms = (n: number) => `${Math.round(n)} ms`;

async function seed(uri: string, dbName: string): Promise<number> {
  const client = new MongoClient(uri);
  await client.connect();
  const db = client.db(dbName);
  const t0 = performance.now();
  const now = Date.now();
  const spacing = (30 * 86_400_000) / RUNS;
  for (let b = 0; b < RUNS; b += 1000) {
    const docs = [];
    for (let k = b; k < Math.min(RUNS, b + 1000); k++) {
      const startedAt = new Date(now - 60_000 - k * spacing);
      const status = STATUSES[k % STATUSES.length] as string;
      docs.push({
        _id: `run_b${String(k).padStart(7, '0')}`,
        workflowId: WORKFLOWS[k % 2],
        status,
        objectType: 'company',
        objectId: String(k),
        correlationKey: `company:${k}:1:${WORKFLOWS[k % 2]}`,
        startedAt,
        finishedAt: status === 'WAITING_APPROVAL' ? null : new Date(startedAt.getTime() + 5_000 + (k % 7) * 60_000),
        attempts: 1,
        retried: k % 50 === 0,
        approvalWaitMs: 0,
        error: status === 'FAILED' ? 'HubSpot 500 on batch read' : undefined,
        steps: [{ name: 'fetch', status: 'completed', durationMs: 120 }],
      });
    }
    await db.collection('runs').insertMany(docs as never[], { ordered: false });
  }
  for (let b = 0; b < APPROVALS; b += 1000) {
    const docs = [];
    for (let k = b; k < Math.min(APPROVALS, b + 1000); k++) {
      const requestedAt = new Date(now - k * ((30 * 86_400_000) / APPROVALS));
      const pending = k % 20 === 0;
      docs.push({
        _id: `apr_b${String(k).padStart(6, '0')}`,
        runId: `run_b${String(k * 8 + 7).padStart(7, '0')}`,
        step: 'approve',
        workflowId: 'procurement-approval',
        objectType: 'deal',
        objectId: String(k),
        title: `Deal ${k}: over limit`,
        status: pending ? 'PENDING' : k % 7 === 0 ? 'REJECTED' : 'APPROVED',
        requestedAt,
        expiresAt: new Date(now + 86_400_000),
        decidedAt: pending ? undefined : new Date(requestedAt.getTime() + (k % 90) * 60_000),
      });
    }
    await db.collection('approvals').insertMany(docs as never[], { ordered: false });
  }
  await db.collection('users').insertOne({ slackUserId: 'UVIEW1', role: 'viewer' });
  await client.close();
  return performance.now() - t0;
}

async function command(app: AppProcess, fakes: Fakes, text: string): Promise<{ tookMs: number; body: { text: string; blocks?: unknown[] } }> {
  const before = fakes.slack.responses.length;
  const t0 = performance.now();
  await app.slashCommand({ text, user_id: 'UADMIN1' });
  while (fakes.slack.responses.length <= before) await new Promise((r) => setTimeout(r, 2));
  return { tookMs: performance.now() - t0, body: fakes.slack.responses[before]?.body as { text: string; blocks?: unknown[] } };
}

async function more(app: AppProcess, fakes: Fakes, value: string): Promise<number> {
  const before = fakes.slack.responses.length;
  const t0 = performance.now();
  await app.slackAction({ actions: [{ type: 'button', action_id: 'runs_more', block_id: 'runs_more_block', value, action_ts: '1' }] });
  while (fakes.slack.responses.length <= before) await new Promise((r) => setTimeout(r, 5));
  return performance.now() - t0;
}

async function openHome(app: AppProcess, fakes: Fakes, user: string): Promise<number> {
  const before = fakes.slack.callsTo('views.publish').length;
  const t0 = performance.now();
  await app.slackEvent({ type: 'app_home_opened', user, channel: `D${user}`, tab: 'home' });
  while (fakes.slack.callsTo('views.publish').length <= before) await new Promise((r) => setTimeout(r, 2));
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const db = await benchDatabase();
  const uri = db.uri;
  const dbName = `bench_surfaces_${randomBytes(4).toString('hex')}`;
  const u = new URL(uri);
  u.pathname = `/${dbName}`;
  console.log(`seeding ${RUNS} runs and ${APPROVALS} approvals into ${u.host}/${dbName} ...`);
  const seedMs = await seed(uri, dbName);
  const fakes = await startFakes();
  // web role: no workflow engine, so the seeded runs stay as seeded.
  const app = await startAppProcess({ fakes, mongoUri: u.toString(), env: { ORCH_ROLE: 'web', LOG_LEVEL: 'warn' }, startTimeoutMs: 300_000 });
  try {
    const cold = await command(app, fakes, 'runs');
    const elements = ((cold.body.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[]).flatMap((b) => b.elements ?? []);
    const cursor = elements.find((e) => e.action_id === 'runs_more')?.value;
    const runs: number[] = [];
    const home: number[] = [];
    const homeViewer: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      runs.push((await command(app, fakes, i % 3 === 0 ? 'runs failed' : 'runs')).tookMs);
      home.push(await openHome(app, fakes, 'UADMIN1'));
      homeViewer.push(await openHome(app, fakes, 'UVIEW1'));
    }
    const page2: number[] = [];
    if (cursor) for (let i = 0; i < 3; i++) page2.push(await more(app, fakes, cursor));
    for (const a of [runs, home, homeViewer, page2]) a.sort((x, y) => x - y);
    console.log(`\nSlack surfaces on ${RUNS} runs + ${APPROVALS} approvals (${db.kind}), ${ITERATIONS} iterations`);
    console.log(`  seeding                                  ${ms(seedMs)}`);
    console.log(`  cold: first /orch runs (snapshot built)  ${ms(cold.tookMs)}`);
    console.log(`  /orch runs answered           p50 ${ms(pct(runs, 50))}  p95 ${ms(pct(runs, 95))}  (target p95 ≤ 300 ms)`);
    console.log(`  App Home published (admin)    p50 ${ms(pct(home, 50))}  p95 ${ms(pct(home, 95))}  (target p95 ≤ 500 ms)`);
    console.log(`  App Home published (viewer)   p50 ${ms(pct(homeViewer, 50))}  p95 ${ms(pct(homeViewer, 95))}`);
    if (page2.length) console.log(`  "More" (page 2)                p50 ${ms(pct(page2, 50))}  max ${ms(page2.at(-1) ?? NaN)}  (${page2.length} runs)`);
  } finally {
    await app.stop();
    await fakes.stop();
    const client = new MongoClient(uri);
    await client.connect();
    await client.db(dbName).dropDatabase().catch(() => undefined);
    await client.close();
    await db.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
