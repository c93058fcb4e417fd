/**
 * `npm run bench:ingest`: signed HubSpot batches of 100 events at concurrency 10 (HubSpot's default)
 * for a fixed time against the real app process and a real database (MONGODB_URI, or a mongo-java-server started
 * here). Prints accepted events/s, ack latency percentiles, duplicates created, the app's peak RSS,
 * and the ceiling: bare insertMany of the same documents with the same unique dedupe index at the
 * same concurrency on the same database. And an open-loop phase (first, by default): BENCH_OPEN_RATE
 * batches per second (default 20, i.e. 2,000 events/s) sent on a fixed schedule whatever the answers,
 * latency counted from each batch's scheduled send time (no coordinated omission), and its floor: the
 * same schedule of batches inserted straight into the database; and the app's own writes (events, raw
 * body, inbox entry, through the route's batch writer) without HTTP. Each closed loop also prints its CPU
 * per event: the server's, the bench's, the app's and the machine's. bench/ingest-load.ts has the load.
 *   BENCH_SECONDS (default 20), BENCH_CONCURRENCY (10), BENCH_BATCH (100), BENCH_REDELIVER (0.05),
 *   BENCH_OPEN_SECONDS (10), BENCH_OPEN_RATE (20), BENCH_WRITERS (ORCH_INGEST_WRITERS values to
 *   compare, comma-separated; default: the app's default),
 *   BENCH_APP_HEAP_MB (200: the app runs with NODE_OPTIONS=--max-old-space-size=200; 0 = Node's default),
 *   BENCH_APP_SEMI_MB (32: --max-semi-space-size=32, as docs/operations.md recommends; 0 = V8's default),
 *   BENCH_APP_NODE_OPTIONS: more Node options for the app process (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof),
 *   BENCH_APP_LOG: a file to write the app's output and its final /metrics to,
 *   BENCH_WARMUP_SECONDS (60): the ceiling's inserts, untimed, before anything is measured (the server's JIT);
 *   each phase then starts once the server is idle,
 *   BENCH_APP_WARMUP_SECONDS (3): the closed loop, untimed, on each fresh app process before its measured run,
 *   BENCH_SERVER_HEAP_MB (12288, at most half the machine's memory): the private server's Java heap,
 *   BENCH_OPEN_FIRST (1: the open loop before the closed loop, on the fresh database; 0: after it),
 *   BENCH_OPEN_TRACE=1: each open-loop request over 25 ms, and the sender's own GCs over 3 ms
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { MongoClient } from 'mongodb';
import { benchDatabase } from './database.ts';
import { ceiling, loadApp, meterServer, openLoop, openLoopDirect, pct, settle, storeCeiling, type LoopCpu } from './ingest-load.ts';
import { startFakes } from '../test/fakes/index.ts';
import { startAppProcess } from '../test/helpers/app-process.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const REDELIVER = Number(process.env.BENCH_REDELIVER ?? 0.05);
/** The web instance's V8 heap cap, as README recommends for web instances (0: Node's default). */
const HEAP_MB = Number(process.env.BENCH_APP_HEAP_MB ?? 200);
/** Its young generation's cap: V8 otherwise grows it to 128 MB here, leaving the old one ~70 MB and a major GC every ~100 ms. */
const SEMI_MB = Number(process.env.BENCH_APP_SEMI_MB ?? 32);
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 10);
const OPEN_RATE = Number(process.env.BENCH_OPEN_RATE ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 60);
const APP_WARMUP_SECONDS = Number(process.env.BENCH_APP_WARMUP_SECONDS ?? 3);
const WRITERS = (process.env.BENCH_WRITERS ?? '').split(',').filter(Boolean).map(Number);

async function benchApp(uri: string, dbName: string, writers: number | undefined) {
  const u = new URL(uri);
  u.pathname = `/${dbName}`;
  const fakes = await startFakes();
  // Web role: the instance that takes webhooks (DESIGN.md §5); workers process units elsewhere.
  const env = { ORCH_ROLE: 'web', LOG_LEVEL: 'warn', ...(writers ? { ORCH_INGEST_WRITERS: String(writers) } : {}), NODE_OPTIONS: [HEAP_MB > 0 ? `--max-old-space-size=${HEAP_MB}` : '', SEMI_MB > 0 ? `--max-semi-space-size=${SEMI_MB}` : '', process.env.BENCH_APP_NODE_OPTIONS ?? ''].join(' ').trim() };
  const app = await startAppProcess({ fakes, mongoUri: u.toString(), env });
  // From /proc where there is one: rendering /metrics four times a second took the app's event
  // loop 2-4 ms each time, which webhooks arriving meanwhile waited for.
  const rss = async () => {
    const status = await readFile(`/proc/${app.pid()}/status`, 'utf8').catch(() => '');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (kb) return Number(kb[1]) * 1024;
    const text = await fetch(`${app.url}/metrics`).then((r) => r.text(), () => '');
    const m = /^orch_process_resident_memory_bytes (\d+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  };
  const idleRss = await rss();
  let peakRss = idleRss;
  const sampler = setInterval(async () => {
    peakRss = Math.max(peakRss, await rss());
  }, 250);
  const target = `${app.url}/webhooks/hubspot`;
  const secret = app.env.HUBSPOT_CLIENT_SECRET as string;
  // A web instance runs for days: its JIT is warm. Warm-up events count for duplicates, not for speed.
  const warm = APP_WARMUP_SECONDS > 0 ? await loadApp(target, secret, target, APP_WARMUP_SECONDS) : { sent: 0 };
  const cpu = async () => Number(/^orch_process_cpu_seconds_total (\S+)/m.exec(await fetch(`${app.url}/metrics`).then((r) => r.text(), () => ''))?.[1] ?? NaN);
  // The open loop first, on the fresh database: after the closed loop the in-memory server holds its
  // half-million documents, and each of its collection cycles then marks gigabytes on the cores the
  // app shares (open-loop p50 6 -> 15 ms in some runs). A real mongod's insert latency does not grow so.
  const openFirst = (process.env.BENCH_OPEN_FIRST ?? '1') === '1';
  const earlyOpen = openFirst ? await openLoop(target, secret, target) : undefined;
  const cpu0 = await cpu();
  const closed = await loadApp(target, secret, target);
  const appCpuSeconds = (await cpu()) - cpu0;
  const open = earlyOpen ?? (await openLoop(target, secret, target));
  clearInterval(sampler);
  const client = new MongoClient(u.toString());
  await client.connect();
  const stored = await client.db(dbName).collection('webhook_events').countDocuments();
  // Each configuration starts from an empty server: the in-memory backend slows as it fills.
  await client.db(dbName).dropDatabase();
  await client.close();
  const finalMetrics = await fetch(`${app.url}/metrics`).then((r) => r.text(), () => '');
  await app.stop();
  if (process.env.BENCH_APP_LOG) writeFileSync(process.env.BENCH_APP_LOG, `${app.logs()}\n${finalMetrics}`);
  await fakes.stop();
  return { closed, open, stored, peakRss, idleRss, warmupSent: warm.sent, appCpuSeconds };
}

/**
 * Where the machine's cores went in a closed loop, per event: the private server, the bench process,
 * the app (its own count) and the machine as a whole. On a small box the three share the cores, so a
 * phase whose machine is near all of them busy is bound by CPU, not by any one of them.
 */
function cpuLine(cpu: LoopCpu, events: number, seconds: number, appCpuSeconds?: number): string {
  const us = (s: number) => ((s / events) * 1e6).toFixed(1);
  const app = appCpuSeconds === undefined ? '' : `, app ${us(appCpuSeconds)}`;
  return `CPU per event: server ${us(cpu.server)}, bench ${us(cpu.bench)}${app}, machine ${us(cpu.machine)} µs (${(cpu.machine / seconds).toFixed(2)} of its ${cpu.cores} cores busy)`;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

type AppResult = Awaited<ReturnType<typeof benchApp>>;

/** One app configuration's figures: closed loop, its CPU, open loop, duplicates, RSS. */
function printApp(label: string, r: AppResult): void {
  const c = r.closed;
  console.log(`app (ORCH_INGEST_WRITERS=${label}):`);
  console.log(`  closed loop: ${(c.accepted / c.seconds).toFixed(0)} events/s accepted (${c.accepted} in ${c.seconds.toFixed(1)} s, ${c.requests} requests, ${c.failures} non-200); ack p50 ${ms(pct(c.latencies, 50))}, p95 ${ms(pct(c.latencies, 95))}, p99 ${ms(pct(c.latencies, 99))}`);
  console.log(`  closed loop ${cpuLine(c.cpu, c.accepted, c.seconds, r.appCpuSeconds)}`);
  console.log(`  open loop:   ${(OPEN_RATE * BATCH).toFixed(0)} events/s offered, ${r.open.failures} failed; ack p50 ${ms(pct(r.open.latencies, 50))}, p95 ${ms(pct(r.open.latencies, 95))}, p99 ${ms(pct(r.open.latencies, 99))}, max ${ms(r.open.latencies.at(-1) ?? NaN)}`);
  const distinct = r.warmupSent + c.sent + r.open.sent;
  console.log(`  duplicates created: ${r.stored - distinct} (stored ${r.stored}, distinct sent ${distinct}; re-deliveries answered as duplicates: ${c.duplicates})`);
  console.log(`  peak RSS of the app process: ${(r.peakRss / 1024 / 1024).toFixed(0)} MB (idle after start: ${(r.idleRss / 1024 / 1024).toFixed(0)} MB)`);
}

type Ceiling = Awaited<ReturnType<typeof ceiling>>;
type Store = Awaited<ReturnType<typeof storeCeiling>>;

/** The two reference measures, each taken before and after the app; the higher of each counts. */
function printReferences(c: Ceiling, after: Ceiling, st: Store, stAfter: Store): { ceilingEps: number; storeEps: number } {
  const [before, afterEps] = [c.inserted / c.seconds, after.inserted / after.seconds];
  // The higher of the two: the ratio is never flattered by a ceiling measured on a colder server.
  const ceilingEps = Math.max(before, afterEps);
  const storeEps = Math.max(st.accepted / st.seconds, stAfter.accepted / stAfter.seconds);
  console.log(`ceiling: ${ceilingEps.toFixed(0)} events/s, the higher of before (${before.toFixed(0)}) and after (${afterEps.toFixed(0)}) the app (bare insertMany of the same documents, unique by their _id (the dedupe key) as in the app, ${CONCURRENCY} in flight; p50 ${ms(pct(c.latencies, 50))}, p99 ${ms(pct(c.latencies, 99))})`);
  console.log(`  before: ${cpuLine(c.cpu, c.inserted, c.seconds)}; after: ${cpuLine(after.cpu, after.inserted, after.seconds)}`);
  // The same inserts on the same server: a wide gap means the server ran degraded for part of the run.
  const spread = ceilingEps / Math.min(before, afterEps);
  if (spread > 2) console.log(`WARNING: the ceilings before and after the app differ ${spread.toFixed(1)}-fold: the server was slowed for part of this run (its CPU per event above), so its figures are not comparable; run it again`);
  console.log(`the app's writes without HTTP: ${storeEps.toFixed(0)} events/s, the higher of before (${(st.accepted / st.seconds).toFixed(0)}) and after (${(stAfter.accepted / stAfter.seconds).toFixed(0)}) the app (the route's batch writer fed straight from the bench by ${CONCURRENCY} senders: each batch's events, raw body and inbox entry) = ${((storeEps / ceilingEps) * 100).toFixed(0)}% of the ceiling`);
  console.log(`  before: ${cpuLine(st.cpu, st.accepted, st.seconds)}; after: ${cpuLine(stAfter.cpu, stAfter.accepted, stAfter.seconds)} (bench: the writes' share of the app's CPU, making the batches included)`);
  return { ceilingEps, storeEps };
}

async function main(): Promise<void> {
  const db = await benchDatabase();
  meterServer(db.pid);
  const uri = db.uri;
  const scratch = (what: string) => `bench_${what}_${randomBytes(4).toString('hex')}`;
  const order = (process.env.BENCH_OPEN_FIRST ?? '1') === '1' ? `${OPEN_SECONDS} s open loop at ${OPEN_RATE} batches/s, then ${SECONDS} s closed loop at ${CONCURRENCY} concurrent senders` : `${SECONDS} s closed loop at ${CONCURRENCY} concurrent senders, then ${OPEN_SECONDS} s open loop at ${OPEN_RATE} batches/s`;
  console.log(`ingest bench on ${db.kind}: ${order}; ${BATCH} events per batch, ${(REDELIVER * 100).toFixed(0)}% re-deliveries, app heap cap ${HEAP_MB ? `${HEAP_MB} MB` : 'Node default'}, semi-space ${SEMI_MB ? `${SEMI_MB} MB` : 'V8 default'}`);
  // The server's JIT warms for tens of seconds: unwarmed, the ceiling measured first ran a third
  // slower than the same inserts a minute later, and each app configuration ran faster than the one before.
  if (WARMUP_SECONDS > 0) await ceiling(uri, scratch('warmup'), WARMUP_SECONDS);
  // The open loop's floor: the same schedule of batches straight into the (warm, empty) server.
  await settle(db.pid);
  const floor = await openLoopDirect(uri, scratch('floor'));
  console.log(`open-loop floor: ${OPEN_RATE * BATCH} events/s inserted straight into the database on the same schedule, ${floor.failures} failed; p50 ${ms(pct(floor.latencies, 50))}, p95 ${ms(pct(floor.latencies, 95))}, p99 ${ms(pct(floor.latencies, 99))}, max ${ms(floor.latencies.at(-1) ?? NaN)}`);
  // The ceiling first, on the empty server, like each configuration after it; and again at the end.
  await settle(db.pid);
  const c = await ceiling(uri, scratch('ceiling'));
  await settle(db.pid);
  const st = await storeCeiling(uri, scratch('store'));
  const results: { writers: string; eps: number; r: AppResult }[] = [];
  for (const w of WRITERS.length ? WRITERS : [undefined]) {
    await settle(db.pid);
    const r = await benchApp(uri, scratch('ingest'), w);
    const label = w === undefined ? 'default' : String(w);
    results.push({ writers: label, eps: r.closed.accepted / r.closed.seconds, r });
    printApp(label, r);
  }
  await settle(db.pid);
  // After the app in the reverse order, so each measure has one sample on each side of it.
  const stAfter = await storeCeiling(uri, scratch('store'));
  await settle(db.pid);
  const after = await ceiling(uri, scratch('ceiling'));
  const { ceilingEps, storeEps } = printReferences(c, after, st, stAfter);
  for (const x of results) {
    console.log(`ratio (writers=${x.writers}): ${((x.eps / ceilingEps) * 100).toFixed(0)}% of the ceiling (target >= 70%; ${((x.eps / storeEps) * 100).toFixed(0)}% of its writes without HTTP); open-loop p99 ${ms(pct(x.r.open.latencies, 99))} (target <= 25 ms; the database alone: ${ms(pct(floor.latencies, 99))}); peak RSS ${(x.r.peakRss / 1024 / 1024).toFixed(0)} MB (target <= 300 MB)`);
  }
  await db.stop();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
