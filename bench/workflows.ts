/**
 * `npm run bench:workflows`: webhook → sheet latency of contact-role-mapping and deal-stage-kickoff
 * against the real app process, the database (MONGODB_URI, or the test bed's mongo-java-server) and
 * zero-latency fakes, measured like bench:approvals (signed webhook sent → the sheet's
 * chat.postMessage reaches the Slack fake; ORCH_DEBOUNCE_MS=0). Each sheet is then approved (with
 * the picker's value in state.values) so runs do not pile up. BENCH_WORKFLOW picks one workflow
 * (default both), BENCH_RUNS runs per workflow (default 100), one at a time; BENCH_PHASES=1 adds
 * the median of each step before the sheet, BENCH_PAUSE_MS idles between runs, BENCH_AIRTABLE_RATE
 * sets the app's Airtable budget (default 100/s; 5 = Airtable's real limit).
 */
import { randomBytes } from 'node:crypto';
import { benchDatabase } from './database.ts';
import { startFakes, type Fakes } from '../test/fakes/index.ts';
import { startAppProcess, type AppProcess } from '../test/helpers/app-process.ts';
import { creation, propertyChange } from '../test/helpers/ingest.ts';
import { approveWith } from '../test/helpers/choices.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 100);
/** BENCH_PHASES=1: each run's step timings (through the API) are summed up per step. */
const PHASES = process.env.BENCH_PHASES === '1';
const phases = new Map<string, number[]>();
/** BENCH_PAUSE_MS: idle time between runs (e.g. 1200 lets Airtable's 5 requests/s budget refill, so a run sees what a lone webhook sees). */
const PAUSE_MS = Number(process.env.BENCH_PAUSE_MS ?? 0);
/**
 * AIRTABLE_RATE_LIMIT for the app (as bench:approvals): back to back, an approved contact run needs
 * ~4 Airtable calls, so at Airtable's real 5/s the loop measures that budget, not orch; the default
 * lifts it (the fake has no limit). BENCH_AIRTABLE_RATE=5 shows the budget-bound figure.
 */
const AIRTABLE_RATE = Number(process.env.BENCH_AIRTABLE_RATE ?? 100);
const WORKFLOWS = (process.env.BENCH_WORKFLOW ?? 'contact-role-mapping,deal-stage-kickoff').split(',').map((s) => s.trim());

type Call = { path: string; body: unknown };
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const fmt = (n: number) => `${n.toFixed(1)} ms`;

/** Sends the webhook, waits for the sheet naming `needle`, approves it; returns webhook → sheet in ms. */
async function stepTimes(app: AppProcess, objectId: string): Promise<void> {
  const list = await app.api<{ items: { id: string }[] }>('GET', `/api/runs?objectId=${objectId}`);
  const run = list.body.items[0];
  if (!run) return;
  const detail = await app.api<{ steps: { name: string; startedAt: string; finishedAt?: string }[] }>('GET', `/api/runs/${run.id}`);
  for (const st of detail.body.steps ?? []) {
    if (st.name === 'approval') break;
    phases.set(st.name, [...(phases.get(st.name) ?? []), new Date(st.finishedAt ?? NaN).getTime() - new Date(st.startedAt).getTime()]);
  }
}

async function measure(app: AppProcess, fakes: Fakes, needle: string, send: () => Promise<{ status: number }>, objectId?: string): Promise<number> {
  const posted = fakes.slack.waitFor((c: Call) => c.path.endsWith('/chat.postMessage') && JSON.stringify(c.body ?? '').includes(needle), 30_000);
  const t0 = performance.now();
  const res = await send();
  if (res.status !== 200) throw new Error(`webhook ${res.status}`);
  await posted;
  const ms = performance.now() - t0;
  const msg = fakes.slack.messages.find((m) => !m.thread_ts && (m.text ?? '').includes(needle));
  if (PHASES && objectId) await stepTimes(app, objectId);
  if (msg) await approveWith(app, structuredClone(msg), null);
  return ms;
}

function contactRun(app: AppProcess, fakes: Fakes, i: number): Promise<number> {
  const id = String(700_000 + i);
  const name = `Bench Person${i}x${randomBytes(2).toString('hex')}`;
  fakes.hubspot.put('companies', { id: `8${id}`, properties: { name: `Bench Co ${i}x`, domain: `bench${i}.example` } });
  fakes.hubspot.put('contacts', { id, properties: { firstname: name, lastname: 'Doe', email: `p${i}@bench.example`, jobtitle: 'VP of Finance' }, associations: { companies: [`8${id}`] } });
  return measure(app, fakes, name, () => app.postHubSpot([creation('contact', id)]), id);
}

function kickoffRun(app: AppProcess, fakes: Fakes, i: number): Promise<number> {
  const id = String(900_000 + i);
  const name = `Bench Deal ${i}x${randomBytes(2).toString('hex')}`;
  fakes.hubspot.put('contacts', { id: `6${id}`, properties: { firstname: 'C', lastname: `${i}x`, email: `c${i}@bench.example` } });
  fakes.hubspot.put('deals', { id, properties: { dealname: name, amount: '5000', dealstage: 'closedwon', hubspot_owner_id: '77' }, associations: { contacts: [`6${id}`] } });
  return measure(app, fakes, name, () => app.postHubSpot([propertyChange('deal', id, 'dealstage', 'closedwon')]), id);
}

async function main() {
  const db = await benchDatabase();
  const u = new URL(db.uri);
  u.pathname = `/benchworkflows_${randomBytes(4).toString('hex')}`;
  const fakes = await startFakes();
  fakes.hubspot.addOwner({ id: '77', email: 'owner@bench.example', firstName: 'Bench', lastName: 'Owner' });
  const app = await startAppProcess({ fakes, mongoUri: u.toString(), env: { ORCH_MODE: 'live', ORCH_DEBOUNCE_MS: '0', LOG_LEVEL: 'warn', AIRTABLE_RATE_LIMIT: String(AIRTABLE_RATE) } });
  let failed = 0;
  for (const wf of WORKFLOWS) {
    const run = wf === 'deal-stage-kickoff' ? kickoffRun : wf === 'contact-role-mapping' ? contactRun : null;
    if (!run) throw new Error(`BENCH_WORKFLOW: unknown workflow ${wf}`);
    const ms: number[] = [];
    const errors: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < RUNS; i++) {
      await run(app, fakes, i).then((v) => ms.push(v), (err: Error) => errors.push(err.message.split('\n')[0] ?? ''));
      if (PAUSE_MS) await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
    ms.sort((a, b) => a - b);
    failed += errors.length;
    if (PHASES) for (const [k, v] of phases) console.log(`  step ${k.padEnd(16)} p50 ${fmt(pct([...v].sort((a, b) => a - b), 50))}`);
    phases.clear();
    console.log(`${wf.padEnd(22)} webhook → sheet n=${ms.length}  p50 ${fmt(pct(ms, 50))}  p95 ${fmt(pct(ms, 95))}  p99 ${fmt(pct(ms, 99))}  max ${fmt(ms.at(-1) ?? NaN)}  (${((performance.now() - t0) / 1000).toFixed(1)} s, errors ${errors.length}${errors.length ? `: ${errors.slice(0, 3).join(' | ')}` : ''})`);
  }
  console.log(`AIRTABLE_RATE_LIMIT=${AIRTABLE_RATE}, pause between runs ${PAUSE_MS} ms; database: ${db.kind}; OpenAI fake configured (role and agenda answers fall back to the rules/template), no Google (slots by fixed rules)`);
  await app.stop();
  await fakes.stop();
  await db.stop();
  process.exit(failed ? 1 : 0);
}

void main();
