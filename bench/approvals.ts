/**
 * `npm run bench:approvals`: the approval loop end to end against the real app process, the
 * database (MONGODB_URI, or the test bed's mongo-java-server started here) and zero-latency fakes. For each of BENCH_RUNS
 * companies (default 200, BENCH_CONCURRENCY at a time, default 1 so the figures are latencies, not queueing):
 *   webhook → sheet:     signed HubSpot webhook sent → chat.postMessage of the sheet reaches the Slack fake
 *                        (ORCH_DEBOUNCE_MS=0, so no debounce window is included)
 *   click → ack:         signed block_actions Approve sent → HTTP answer (Bolt acks before the work)
 *   click → updated:     same click sent → chat.update of that message reaches the Slack fake
 * Prints p50/p95/p99 of each and the issue's targets. BENCH_DB_PROFILE=1 adds where the database
 * time went (by command and collection), BENCH_PHASES=1 where webhook → sheet went (by step).
 * BENCH_OVERLAP=1: the next webhook as soon as the sheet is updated (default: once its run has finished).
 * BENCH_APP_NODE_OPTIONS: Node options for the app process (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof);
 * BENCH_APP_LOG: a file to write the app's output to.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { benchDatabase } from './database.ts';
import { startFakes, type Fakes } from '../test/fakes/index.ts';
import { startAppProcess, type AppProcess } from '../test/helpers/app-process.ts';
import { creation } from '../test/helpers/ingest.ts';
import { click } from '../test/helpers/approvals.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1);
/**
 * Each sender waits for its run to finish its post-approval work before the next webhook, so one
 * run's latency is not the previous run's tail (that is queueing). BENCH_OVERLAP=1: back to back,
 * the next webhook as soon as the previous sheet is updated.
 */
const OVERLAP = process.env.BENCH_OVERLAP === '1';
/** BENCH_DB_PROFILE=1: the app logs every database command ≥ 1 ms; the bench sums them by command and collection. */
const PROFILE = process.env.BENCH_DB_PROFILE === '1';
/** BENCH_PHASES=1: after each run, its steps' timings through the API (those reads add load of their own). */
const PHASES = process.env.BENCH_PHASES === '1';
/**
 * Airtable requests per second the app allows itself (AIRTABLE_RATE_LIMIT). Back to back, each run
 * needs 2-3 Airtable calls, so at Airtable's real 5/s the loop is Airtable-bound and measures the
 * budget, not orch; the default lifts it (the fake has no limit). BENCH_AIRTABLE_RATE=5 shows that.
 */
const AIRTABLE_RATE = Number(process.env.BENCH_AIRTABLE_RATE ?? 100);

/** Sums the app's slow-command log lines: where the database time goes. */
function dbProfile(logs: string): string[] {
  const agg = new Map<string, { n: number; total: number; max: number }>();
  for (const line of logs.split('\n')) {
    if (!line.includes('slow database command')) continue;
    const e = JSON.parse(line) as { command: string; collection?: string; durationMs: number };
    const key = `${e.command} ${e.collection ?? ''}`;
    const a = agg.get(key) ?? { n: 0, total: 0, max: 0 };
    a.n += 1;
    a.total += e.durationMs;
    a.max = Math.max(a.max, e.durationMs);
    agg.set(key, a);
  }
  return [...agg.entries()]
    .sort((x, y) => y[1].total - x[1].total)
    .slice(0, 25)
    .map(([k, a]) => `${k.padEnd(40)} n=${String(a.n).padStart(6)} total ${String(a.total).padStart(7)} ms  mean ${(a.total / a.n).toFixed(1).padStart(6)} ms  max ${a.max} ms`);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const fmt = (n: number) => `${n.toFixed(1)} ms`;

type Call = { path: string; body: unknown };
const bodyText = (c: Call) => JSON.stringify(c.body ?? '');

async function one(app: AppProcess, fakes: Fakes, i: number, out: { sheet: number[]; ack: number[]; updated: number[]; errors: string[]; phases: Map<string, number[]> }) {
  const id = String(500_000 + i);
  // A letter between the digits: "Bench Co 7 633963" looks like a phone number and is masked in the sheet.
  const name = `Bench Co ${i} h${randomBytes(3).toString('hex')}`;
  fakes.hubspot.put('companies', { id, properties: { name, domain: `bench${i}.example`, numberofemployees: '5000', industry: 'SOFTWARE' } });
  const t0 = performance.now();
  const sentAt = Date.now();
  const posted = fakes.slack.waitFor((c: Call) => c.path.endsWith('/chat.postMessage') && bodyText(c).includes(name), 30_000);
  const res = await app.postHubSpot([creation('company', id)]);
  if (res.status !== 200) throw new Error(`webhook ${res.status}`);
  await posted.catch(async (e: Error) => {
    // Say where the run stood, so a missing sheet can be told apart from a slow one.
    const runs = await app.api<{ items: { id: string; status: string }[] }>('GET', `/api/runs?objectId=${id}`).catch(() => null);
    const run = runs?.body.items[0];
    const detail = run ? await app.api<{ steps?: { name: string; status: string }[]; error?: string }>('GET', `/api/runs/${run.id}`).catch(() => null) : null;
    const steps = detail?.body.steps?.map((s) => `${s.name}:${s.status}`).join(',') ?? '';
    const mentions = run ? fakes.slack.calls.filter((c) => bodyText(c).includes(run.id)).map((c) => `${c.path} -> ${c.status}`) : [];
    throw new Error(`sheet never posted (${e.message.split('\n')[0]}); run ${run ? `${run.id} ${run.status} [${steps}] ${detail?.body.error ?? ''}` : 'not created'}; Slack calls naming the run: ${mentions.join(', ') || 'none'}; approvals ${JSON.stringify((detail?.body as { approvals?: unknown }).approvals ?? null).slice(0, 400)}`);
  });
  out.sheet.push(performance.now() - t0);
  const msg = fakes.slack.messages.find((m) => !m.thread_ts && (m.text ?? '').includes(name));
  if (!msg) throw new Error('sheet not stored in the fake');
  const snapshot = structuredClone(msg);
  const updated = fakes.slack.waitFor((c: Call) => c.path.endsWith('/chat.update') && bodyText(c).includes(snapshot.ts), 30_000);
  const t1 = performance.now();
  const ack = await click(app, snapshot, 'approval_approve');
  out.ack.push(performance.now() - t1);
  if (ack.status !== 200) throw new Error(`click ${ack.status}`);
  await updated.catch((e: Error) => Promise.reject(new Error(`message never updated: ${e.message.split('\n')[0]}`)));
  out.updated.push(performance.now() - t1);
  if (PHASES) await phases(app, id, sentAt, out.phases);
  if (!OVERLAP) await finished(app, id);
}

/** Until the object's run has finished its work after the approval (writes, SOP), not measured. */
async function finished(app: AppProcess, objectId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const list = await app.api<{ items: { status: string }[] }>('GET', `/api/runs?objectId=${objectId}`);
    if (list.body.items.every((r) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(r.status))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`run of ${objectId} did not finish within 30 s of its approval`);
}

/** Where webhook → sheet went for one run: until the run existed, until its first step, then each step. */
async function phases(app: AppProcess, objectId: string, sentAt: number, into: Map<string, number[]>) {
  const list = await app.api<{ items: { id: string; startedAt: string }[] }>('GET', `/api/runs?objectId=${objectId}`);
  const run = list.body.items[0];
  if (!run) return;
  const detail = await app.api<{ steps: { name: string; startedAt: string; finishedAt?: string }[] }>('GET', `/api/runs/${run.id}`);
  const add = (k: string, ms: number) => into.set(k, [...(into.get(k) ?? []), ms]);
  const at = (d?: string) => (d ? new Date(d).getTime() : NaN);
  add('webhook → run created', at(run.startedAt) - sentAt);
  let prev = at(run.startedAt);
  for (const step of detail.body.steps) {
    add(`gap before ${step.name}`, at(step.startedAt) - prev);
    add(`step ${step.name}`, at(step.finishedAt) - at(step.startedAt));
    prev = at(step.finishedAt);
    if (step.name === 'approval') break;
  }
}

async function main() {
  const db = await benchDatabase();
  const u = new URL(db.uri);
  u.pathname = `/benchapprovals_${randomBytes(4).toString('hex')}`;
  const fakes = await startFakes();
  const app = await startAppProcess({
    fakes,
    mongoUri: u.toString(),
    env: { ...(PROFILE ? { ORCH_DB_SLOW_MS: '1' } : {}), ORCH_MODE: 'live', ORCH_DEBOUNCE_MS: '0', LOG_LEVEL: 'warn', AIRTABLE_RATE_LIMIT: String(AIRTABLE_RATE), ...(process.env.BENCH_CHECKPOINTS ? { ORCH_CHECKPOINTS: process.env.BENCH_CHECKPOINTS } : {}), ...(process.env.BENCH_RUN_CONCURRENCY ? { ORCH_RUN_CONCURRENCY: process.env.BENCH_RUN_CONCURRENCY } : {}), ...(process.env.BENCH_APP_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_APP_NODE_OPTIONS } : {}) },
  });
  const out = { sheet: [] as number[], ack: [] as number[], updated: [] as number[], errors: [] as string[], phases: new Map<string, number[]>() };
  // Partial figures as it goes, so a slow database still leaves numbers behind.
  const report = (label: string) => {
    const line = (name: string, a: number[]) => {
      const s = [...a].sort((x, y) => x - y);
      return `${name} p50 ${fmt(pct(s, 50))} p95 ${fmt(pct(s, 95))} p99 ${fmt(pct(s, 99))}`;
    };
    console.log(`… ${label}: ${line('sheet', out.sheet)} | ${line('ack', out.ack)} | ${line('updated', out.updated)} | errors ${out.errors.length}`);
  };
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < RUNS) {
        const i = next++;
        await one(app, fakes, i, out).catch((err: Error) => out.errors.push(err.message));
        if ((i + 1) % 20 === 0) report(`after ${i + 1}/${RUNS} runs, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const a of [out.sheet, out.ack, out.updated]) a.sort((x, y) => x - y);
  const row = (label: string, a: number[], target: string) =>
    console.log(`${label.padEnd(22)} n=${a.length}  p50 ${fmt(pct(a, 50))}  p95 ${fmt(pct(a, 95))}  p99 ${fmt(pct(a, 99))}  max ${fmt(a.at(-1) ?? NaN)}   target ${target}`);
  console.log(`approvals bench on ${db.kind}: ${RUNS} company-intake runs needing approval, concurrency ${CONCURRENCY}${OVERLAP ? ' back to back (BENCH_OVERLAP=1)' : ', each run finished before the next webhook'}, AIRTABLE_RATE_LIMIT=${AIRTABLE_RATE}, ORCH_CHECKPOINTS=${process.env.BENCH_CHECKPOINTS ?? 'default'}, ${seconds.toFixed(1)} s, errors ${out.errors.length}`);
  row('webhook → sheet', out.sheet, 'p95 ≤ 100 ms');
  row('click → ack', out.ack, 'p99 ≤ 50 ms');
  row('click → message updated', out.updated, 'p95 ≤ 50 ms');
  if (out.errors.length) {
    console.log('first errors:', out.errors.slice(0, 5).map((e) => e.split('\n')[0]));
    console.log(app.logs().split('\n').filter((l) => l.startsWith('{')).slice(-10).join('\n'));
  }
  if (PHASES) console.log(['webhook → sheet by phase (p50 / p95):', ...[...out.phases].map(([k, a]) => { const v = [...a].sort((x, y) => x - y); return `  ${k.padEnd(32)} ${fmt(pct(v, 50))} / ${fmt(pct(v, 95))}`; })].join('\n'));
  if (PROFILE) console.log(['database time by command (commands ≥ 1 ms):', ...dbProfile(app.logs())].join('\n'));
  if (process.env.BENCH_APP_LOG) writeFileSync(process.env.BENCH_APP_LOG, app.logs());
  await app.stop();
  await fakes.stop();
  await db.stop();
  process.exit(out.errors.length ? 1 : 0);
}

void main();
