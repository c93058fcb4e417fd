/**
 * `npm run bench:ingest`: signed HubSpot batches of 100 events at concurrency 10 (HubSpot's default)
 * for a fixed time against the real app process and a real database (MONGODB_URI, or a mongo-java-server started
 * here). Prints accepted events/s, ack latency percentiles, duplicates created, the app's peak RSS,
 * and the ceiling: bare insertMany of the same documents with the same unique dedupe index at the
 * same concurrency on the same database. And an open-loop phase (first, by default): BENCH_OPEN_RATE
 * batches per second (default 20, i.e. 2,000 events/s) sent on a fixed schedule whatever the answers,
 * latency counted from each batch's scheduled send time (no coordinated omission).
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
import { PerformanceObserver } from 'node:perf_hooks';
import { MongoClient } from 'mongodb';
import { benchDatabase } from './database.ts';
import { buildEventDocs } from '../src/ingest/store.ts';
import { startFakes } from '../test/fakes/index.ts';
import { startAppProcess } from '../test/helpers/app-process.ts';
import { signHubSpotV3 } from '../test/helpers/signing.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const REDELIVER = Number(process.env.BENCH_REDELIVER ?? 0.05);
const OBJECTS = 5000;
/** The web instance's V8 heap cap, as README recommends for web instances (0: Node's default). */
const HEAP_MB = Number(process.env.BENCH_APP_HEAP_MB ?? 200);
/** Its young generation's cap: V8 otherwise grows it to 128 MB here, leaving the old one ~70 MB and a major GC every ~100 ms. */
const SEMI_MB = Number(process.env.BENCH_APP_SEMI_MB ?? 32);
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 10);
const OPEN_RATE = Number(process.env.BENCH_OPEN_RATE ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 60);
const APP_WARMUP_SECONDS = Number(process.env.BENCH_APP_WARMUP_SECONDS ?? 3);
const WRITERS = (process.env.BENCH_WRITERS ?? '').split(',').filter(Boolean).map(Number);

let eventSeq = 1;
function makeBatch(): Record<string, unknown>[] {
  const now = Date.now();
  return Array.from({ length: BATCH }, (_, i) => ({
    eventId: eventSeq++,
    subscriptionId: 4849549,
    portalId: 62515,
    appId: 25681700,
    occurredAt: now + i,
    subscriptionType: 'company.propertyChange',
    attemptNumber: 0,
    objectId: 100_000 + Math.floor(Math.random() * OBJECTS),
    propertyName: i % 2 ? 'industry' : 'name',
    propertyValue: `v${eventSeq}`,
    changeSource: 'CRM_UI',
  }));
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function loadApp(url: string, secret: string, signedUrl: string, duration = SECONDS) {
  const latencies: number[] = [];
  let accepted = 0;
  let duplicates = 0;
  let failures = 0;
  let sent = 0;
  const recent: string[] = [];
  const deadline = Date.now() + duration * 1000;
  async function worker() {
    while (Date.now() < deadline) {
      // A share of HubSpot's re-deliveries: same events, next attemptNumber.
      const again = recent.length && Math.random() < REDELIVER ? recent[Math.floor(Math.random() * recent.length)] : undefined;
      const body = again ?? JSON.stringify(makeBatch());
      if (!again) {
        recent.push(body);
        if (recent.length > 50) recent.shift();
      }
      const headers = signHubSpotV3({ secret, url: signedUrl, body });
      const t0 = performance.now();
      const res = await fetch(url, { method: 'POST', headers, body });
      const json = (await res.json()) as { accepted?: number; duplicates?: number };
      latencies.push(performance.now() - t0);
      sent += again ? 0 : BATCH;
      if (res.status !== 200) failures++;
      accepted += json.accepted ?? 0;
      duplicates += json.duplicates ?? 0;
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { seconds, accepted, duplicates, failures, sent, requests: latencies.length, latencies };
}

/** Open loop: one batch every 1000/OPEN_RATE ms on a fixed schedule; latency from the scheduled time. */
async function openLoop(url: string, secret: string, signedUrl: string) {
  // BENCH_OPEN_TRACE=1 also names the sender's own collections over 3 ms: its delays count too.
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.duration > 3) console.log(`sender gc: ${new Date(performance.timeOrigin + e.startTime).toISOString()} ${e.duration.toFixed(1)} ms`);
  });
  if (process.env.BENCH_OPEN_TRACE) gcs.observe({ entryTypes: ['gc'] });
  const latencies: number[] = [];
  let failures = 0;
  let sent = 0;
  const interval = 1000 / OPEN_RATE;
  const total = Math.round(OPEN_SECONDS * OPEN_RATE);
  // Bodies and signatures made before the clock starts: the sender's own work must not delay the schedule.
  const requests = Array.from({ length: total }, () => {
    const body = JSON.stringify(makeBatch());
    return { body, headers: signHubSpotV3({ secret, url: signedUrl, body }) };
  });
  const start = performance.now() + 50;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { body, headers } = requests[i] as { body: string; headers: Record<string, string> };
    sent += BATCH;
    inflight.push(
      fetch(url, { method: 'POST', headers, body }).then(
        async (res) => {
          await res.arrayBuffer();
          const lat = performance.now() - scheduled;
          latencies.push(lat);
          if (process.env.BENCH_OPEN_TRACE && lat > 25) console.log(`slow: ${new Date(Date.now() - lat).toISOString()} ${lat.toFixed(1)} ms`);
          if (res.status !== 200) failures++;
        },
        () => void failures++,
      ),
    );
  }
  await Promise.all(inflight);
  gcs.disconnect();
  latencies.sort((a, b) => a - b);
  return { latencies, failures, sent };
}

async function ceiling(uri: string, dbName: string, duration = SECONDS) {
  const client = new MongoClient(uri, { maxPoolSize: CONCURRENCY + 2 });
  await client.connect();
  const coll = client.db(dbName).collection('ceiling_events');
  // The same unique dedupe index as the app's: the _id, which is made from the event's dedupe key.
  await client.db(dbName).createCollection('ceiling_events');
  let inserted = 0;
  const latencies: number[] = [];
  const deadline = Date.now() + duration * 1000;
  async function worker() {
    while (Date.now() < deadline) {
      const docs = buildEventDocs(makeBatch(), `whb_${randomBytes(6).toString('hex')}`, Date.now());
      const t0 = performance.now();
      const r = await coll.insertMany(docs as never[], { ordered: false });
      latencies.push(performance.now() - t0);
      inserted += r.insertedCount;
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await client.db(dbName).dropDatabase();
  await client.close();
  latencies.sort((a, b) => a - b);
  return { seconds, inserted, latencies };
}

/**
 * Waits until the private server is idle (under 10% of a core over half a second, at most 20 s):
 * a phase that starts while the server still collects the previous phase's dropped documents
 * measures that collection. No-op without a pid (MONGODB_URI) or /proc.
 */
async function settle(pid: number | undefined): Promise<void> {
  if (!pid) return;
  const ticks = async () => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100/s)
  };
  const deadline = Date.now() + 20_000;
  let before = await ticks();
  while (Number.isFinite(before) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await ticks();
    if (now - before < 5) return;
    before = now;
  }
}

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

async function main(): Promise<void> {
  const db = await benchDatabase();
  const uri = db.uri;
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const order = (process.env.BENCH_OPEN_FIRST ?? '1') === '1' ? `${OPEN_SECONDS} s open loop at ${OPEN_RATE} batches/s, then ${SECONDS} s closed loop at ${CONCURRENCY} concurrent senders` : `${SECONDS} s closed loop at ${CONCURRENCY} concurrent senders, then ${OPEN_SECONDS} s open loop at ${OPEN_RATE} batches/s`;
  console.log(`ingest bench on ${db.kind}: ${order}; ${BATCH} events per batch, ${(REDELIVER * 100).toFixed(0)}% re-deliveries, app heap cap ${HEAP_MB ? `${HEAP_MB} MB` : 'Node default'}, semi-space ${SEMI_MB ? `${SEMI_MB} MB` : 'V8 default'}`);
  // The server's JIT warms for tens of seconds: unwarmed, the ceiling measured first ran a third
  // slower than the same inserts a minute later, and each app configuration ran faster than the one before.
  if (WARMUP_SECONDS > 0) await ceiling(uri, `bench_warmup_${randomBytes(4).toString('hex')}`, WARMUP_SECONDS);
  // The ceiling first, on the empty server, like each configuration after it; and again at the end.
  await settle(db.pid);
  const c = await ceiling(uri, `bench_ceiling_${randomBytes(4).toString('hex')}`);
  const results: { writers: string; eps: number; r: Awaited<ReturnType<typeof benchApp>> }[] = [];
  for (const w of WRITERS.length ? WRITERS : [undefined]) {
    const dbName = `bench_ingest_${randomBytes(4).toString('hex')}`;
    await settle(db.pid);
    const r = await benchApp(uri, dbName, w);
    const eps = r.closed.accepted / r.closed.seconds;
    const label = w === undefined ? 'default' : String(w);
    results.push({ writers: label, eps, r });
    const c = r.closed;
    console.log(`app (ORCH_INGEST_WRITERS=${label}):`);
    console.log(`  closed loop: ${eps.toFixed(0)} events/s accepted (${c.accepted} in ${c.seconds.toFixed(1)} s, ${c.requests} requests, ${c.failures} non-200); ack p50 ${ms(pct(c.latencies, 50))}, p95 ${ms(pct(c.latencies, 95))}, p99 ${ms(pct(c.latencies, 99))}`);
    console.log(`  app CPU in the closed loop: ${((r.appCpuSeconds / c.accepted) * 1e6).toFixed(1)} µs per accepted event (${(r.appCpuSeconds / c.seconds).toFixed(2)} of the cores)`);
    console.log(`  open loop:   ${((OPEN_RATE * BATCH)).toFixed(0)} events/s offered, ${r.open.failures} failed; ack p50 ${ms(pct(r.open.latencies, 50))}, p95 ${ms(pct(r.open.latencies, 95))}, p99 ${ms(pct(r.open.latencies, 99))}, max ${ms(r.open.latencies.at(-1) ?? NaN)}`);
    const distinct = r.warmupSent + c.sent + r.open.sent;
    console.log(`  duplicates created: ${r.stored - distinct} (stored ${r.stored}, distinct sent ${distinct}; re-deliveries answered as duplicates: ${c.duplicates})`);
    console.log(`  peak RSS of the app process: ${(r.peakRss / 1024 / 1024).toFixed(0)} MB (idle after start: ${(r.idleRss / 1024 / 1024).toFixed(0)} MB)`);
  }
  await settle(db.pid);
  const after = await ceiling(uri, `bench_ceiling_${randomBytes(4).toString('hex')}`);
  // The higher of the two: the ratio is never flattered by a ceiling measured on a colder server.
  const ceilingEps = Math.max(c.inserted / c.seconds, after.inserted / after.seconds);
  console.log(`ceiling: ${ceilingEps.toFixed(0)} events/s, the higher of before (${(c.inserted / c.seconds).toFixed(0)}) and after (${(after.inserted / after.seconds).toFixed(0)}) the app (bare insertMany of the same documents, unique by their _id (the dedupe key) as in the app, ${CONCURRENCY} in flight; p50 ${ms(pct(c.latencies, 50))}, p99 ${ms(pct(c.latencies, 99))})`);
  for (const x of results) {
    console.log(`ratio (writers=${x.writers}): ${((x.eps / ceilingEps) * 100).toFixed(0)}% of the ceiling (target >= 70%); open-loop p99 ${ms(pct(x.r.open.latencies, 99))} (target <= 25 ms); peak RSS ${(x.r.peakRss / 1024 / 1024).toFixed(0)} MB (target <= 300 MB)`);
  }
  await db.stop();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
