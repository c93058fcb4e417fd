/**
 * The load of `npm run bench:ingest` (bench/ingest.ts): HubSpot-shaped batches sent to the app
 * (closed loop, open loop) or inserted straight into the database (the ceilings), and `settle()`.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { MongoClient, type Collection } from 'mongodb';
import mongoose from 'mongoose';
import { MONGO_POOL_SIZE } from '../src/db/connection.ts';
import { createModels, ensureIndexes } from '../src/db/models/index.ts';
import { buildEventDocs, createBatchWriter } from '../src/ingest/store.ts';
import { signHubSpotV3 } from '../test/helpers/signing.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const REDELIVER = Number(process.env.BENCH_REDELIVER ?? 0.05);
const OBJECTS = 5000;
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 10);
const OPEN_RATE = Number(process.env.BENCH_OPEN_RATE ?? 20);

let eventSeq = 1;
export function makeBatch(): Record<string, unknown>[] {
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

export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** A batch as the app stores its events. */
const eventDocs = () => buildEventDocs(makeBatch(), `whb_${randomBytes(6).toString('hex')}`, Date.now());

let serverPid: number | undefined;
/** The private server's pid (none with MONGODB_URI): each closed loop then says what CPU the server used. */
export function meterServer(pid: number | undefined): void {
  serverPid = pid;
}

/** A process's CPU seconds so far, from /proc (NaN without it). */
async function processCpu(pid: number | undefined): Promise<number> {
  const stat = pid ? await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '') : '';
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (100/s)
}

/** CPU seconds the whole machine spent busy so far (every core, every process), and its core count. */
async function machineCpu(): Promise<{ busy: number; cores: number }> {
  const text = await readFile('/proc/stat', 'utf8').catch(() => '');
  const all = /^cpu\s+(.+)$/m.exec(text)?.[1]?.split(/\s+/).map(Number) ?? [];
  const idle = (all[3] ?? NaN) + (all[4] ?? 0);
  return { busy: (all.reduce((a, b) => a + b, 0) - idle) / 100, cores: (text.match(/^cpu\d+/gm) ?? []).length };
}

export interface LoopCpu {
  /** CPU seconds during the loop: the private server, this bench process, and the machine as a whole. */
  server: number;
  bench: number;
  machine: number;
  cores: number;
}

/** CONCURRENCY senders, each calling `send` again as soon as it returns, for `duration` seconds: the seconds it took and the CPU it cost. */
async function closedLoop(duration: number, send: () => Promise<void>): Promise<{ seconds: number; cpu: LoopCpu }> {
  const [server0, machine0, bench0] = [await processCpu(serverPid), await machineCpu(), process.cpuUsage()];
  const deadline = Date.now() + duration * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) await send();
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const [server1, machine1, bench1] = [await processCpu(serverPid), await machineCpu(), process.cpuUsage(bench0)];
  return { seconds, cpu: { server: server1 - server0, bench: (bench1.user + bench1.system) / 1e6, machine: machine1.busy - machine0.busy, cores: machine1.cores } };
}

/** A collection in a database of its own (unique by `_id` only, like the app's events), dropped afterwards. */
async function withScratchCollection<T>(uri: string, dbName: string, fn: (coll: Collection) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri, { maxPoolSize: CONCURRENCY + 2 });
  await client.connect();
  try {
    return await fn(await client.db(dbName).createCollection('events'));
  } finally {
    await client.db(dbName).dropDatabase();
    await client.close();
  }
}

export async function loadApp(url: string, secret: string, signedUrl: string, duration = SECONDS) {
  const latencies: number[] = [];
  let accepted = 0;
  let duplicates = 0;
  let failures = 0;
  let sent = 0;
  const recent: string[] = [];
  const { seconds, cpu } = await closedLoop(duration, async () => {
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
  });
  latencies.sort((a, b) => a - b);
  return { seconds, cpu, accepted, duplicates, failures, sent, requests: latencies.length, latencies };
}

/**
 * Open loop: one batch every 1000/OPEN_RATE ms on a fixed schedule whatever the answers, latency
 * counted from each batch's scheduled time (no coordinated omission). `send(i)` sends batch i and
 * resolves true when it was accepted; what it needs is made by `prepare(i)` before the clock starts,
 * so the sender's own work does not delay the schedule.
 */
async function schedule<T>(prepare: (i: number) => T, send: (x: T) => Promise<boolean>) {
  // BENCH_OPEN_TRACE=1 also names the sender's own collections over 3 ms: its delays count too.
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.duration > 3) console.log(`sender gc: ${new Date(performance.timeOrigin + e.startTime).toISOString()} ${e.duration.toFixed(1)} ms`);
  });
  if (process.env.BENCH_OPEN_TRACE) gcs.observe({ entryTypes: ['gc'] });
  const latencies: number[] = [];
  let failures = 0;
  const interval = 1000 / OPEN_RATE;
  const total = Math.round(OPEN_SECONDS * OPEN_RATE);
  const prepared = Array.from({ length: total }, (_, i) => prepare(i));
  const start = performance.now() + 50;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      send(prepared[i] as T).then(
        (ok) => {
          const lat = performance.now() - scheduled;
          latencies.push(lat);
          if (process.env.BENCH_OPEN_TRACE && lat > 25) console.log(`slow: ${new Date(Date.now() - lat).toISOString()} ${lat.toFixed(1)} ms`);
          if (!ok) failures++;
        },
        () => void failures++,
      ),
    );
  }
  await Promise.all(inflight);
  gcs.disconnect();
  latencies.sort((a, b) => a - b);
  return { latencies, failures, sent: total * BATCH };
}

/** The app's open loop: signed webhook batches to the app. */
export function openLoop(url: string, secret: string, signedUrl: string) {
  return schedule(
    () => {
      const body = JSON.stringify(makeBatch());
      return { body, headers: signHubSpotV3({ secret, url: signedUrl, body }) };
    },
    async ({ body, headers }) => {
      const res = await fetch(url, { method: 'POST', headers, body });
      await res.arrayBuffer();
      return res.status === 200;
    },
  );
}

/**
 * The same schedule of batches inserted straight into the database (the open-loop floor): what the
 * server and the box alone give at that rate, which no app in front of them can beat.
 */
export function openLoopDirect(uri: string, dbName: string) {
  return withScratchCollection(uri, dbName, (coll) =>
    schedule(eventDocs, async (docs) => (await coll.insertMany(docs as never[], { ordered: false })).insertedCount === docs.length),
  );
}

/** The ceiling: bare insertMany of the app's event documents, CONCURRENCY in flight. */
export function ceiling(uri: string, dbName: string, duration = SECONDS) {
  return withScratchCollection(uri, dbName, async (coll) => {
    let inserted = 0;
    const latencies: number[] = [];
    const { seconds, cpu } = await closedLoop(duration, async () => {
      const docs = eventDocs();
      const t0 = performance.now();
      const r = await coll.insertMany(docs as never[], { ordered: false });
      latencies.push(performance.now() - t0);
      inserted += r.insertedCount;
    });
    latencies.sort((a, b) => a - b);
    return { seconds, cpu, inserted, latencies };
  });
}

/**
 * The app's own writes without HTTP: the webhook route's batch writer (each batch's events, its raw
 * body and its inbox entry, grouped as the route groups them before its 200, on the app's pool size)
 * fed straight from here by CONCURRENCY senders.
 * Between the ceiling (the events alone) and the app: what the durable writes cost the server.
 */
export async function storeCeiling(uri: string, dbName: string, duration = SECONDS) {
  const u = new URL(uri);
  u.pathname = `/${dbName}`;
  const conn = await mongoose.createConnection(u.toString(), { maxPoolSize: MONGO_POOL_SIZE }).asPromise();
  const models = createModels(conn);
  await ensureIndexes(models);
  const writer = createBatchWriter(models);
  let accepted = 0;
  // cpu.bench: the writes' share of the app's CPU (plus making the batches, which the app does not do).
  const { seconds, cpu } = await closedLoop(duration, async () => {
    const items = makeBatch();
    const text = JSON.stringify(items);
    // Awaited first: `accepted += await …` would read the total before the wait and lose the other senders' counts.
    const r = await writer.store({ body: Buffer.from(text), text, items, signatureVersion: 'v3', receivedAt: Date.now() });
    accepted += r.accepted;
  });
  await conn.dropDatabase();
  await conn.close();
  return { seconds, accepted, cpu };
}

/**
 * Waits until the private server is idle (under 10% of a core over half a second, at most 20 s):
 * a phase that starts while the server still collects the previous phase's dropped documents
 * measures that collection. No-op without a pid (MONGODB_URI) or /proc.
 */
export async function settle(pid: number | undefined): Promise<void> {
  if (!pid) return;
  const deadline = Date.now() + 20_000;
  let before = await processCpu(pid);
  while (Number.isFinite(before) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await processCpu(pid);
    if (now - before < 0.05) return;
    before = now;
  }
}

