/**
 * `npm run bench:reconcile`: 10,000 HubSpot companies against 10,000 Airtable mirror rows with 2%
 * drift (100 drifted fields, 50 missing rows, 50 orphan rows), pages of 100, through the real
 * adapters and the real reconciliation (exceptions stored in MongoDB: MONGODB_URI, or one started here).
 * Pass 1: zero-latency fakes, adapters at their production limits (HubSpot 190/10 s, Airtable 5/s).
 * Pass 2: the same with the fakes ALSO enforcing the real limits (429 beyond them): every 429 must be
 *         absorbed by backoff (report completed, no errors).
 * Pass 0 (reference): adapter limits lifted, to show the cost of the comparison itself.
 *   BENCH_COMPANIES (default 10000), BENCH_SKIP_UNTHROTTLED=1 to skip pass 0.
 */
import { randomBytes } from 'node:crypto';
import { connectMongo } from '../src/db/connection.ts';
import { benchDatabase } from './database.ts';
import { createModels, ensureIndexes } from '../src/db/models/index.ts';
import { createAirtable } from '../src/integrations/airtable.ts';
import { createHubSpot } from '../src/integrations/hubspot.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { runFullReconciliation } from '../src/reconcile/run.ts';
import { FAKE_CREDENTIALS, startFakes, type Fakes } from '../test/fakes/index.ts';
import { hsCompany, mirrorRow } from '../test/helpers/reconcile.ts';

const N = Number(process.env.BENCH_COMPANIES ?? 10_000);
const PAGE = 100;
const DRIFT = Math.round(N * 0.01);
const MISSING = Math.round(N * 0.005);
const ORPHANS = Math.round(N * 0.005);

function seed(fakes: Fakes): void {
  for (let i = 0; i < N; i++) {
    const id = String(1_000_000 + i);
    fakes.hubspot.put('companies', hsCompany(id));
    if (i < MISSING) continue; // company without a mirror row
    const drift: Record<string, string> = i < MISSING + DRIFT ? { Industry: 'DRIFTED' } : {};
    fakes.airtable.add('Accounts', mirrorRow(id, drift), `rec${i}`);
  }
  for (let j = 0; j < ORPHANS; j++) fakes.airtable.add('Accounts', mirrorRow(String(9_000_000 + j)), `recO${j}`);
}

async function pass(label: string, fakes: Fakes, mongoBase: string, opts: { unthrottled?: boolean; fakeLimits?: boolean }) {
  const logger = createLogger({ level: 'error' });
  const metrics = createMetrics();
  const env = fakes.env();
  const hubspot = createHubSpot({ accessToken: FAKE_CREDENTIALS.HUBSPOT_ACCESS_TOKEN, basePath: env.HUBSPOT_API_URL as string, ratePer10s: opts.unthrottled ? 1_000_000 : 190, logger, metrics });
  const airtable = createAirtable({ apiKey: FAKE_CREDENTIALS.AIRTABLE_API_KEY, baseId: FAKE_CREDENTIALS.AIRTABLE_BASE_ID, endpointUrl: env.AIRTABLE_API_URL as string, ratePerSecond: opts.unthrottled ? 100_000 : 5, logger, metrics });
  if (!hubspot || !airtable) throw new Error('adapters not configured');
  const u = new URL(mongoBase);
  u.pathname = `/bench_reconcile_${randomBytes(3).toString('hex')}`;
  const mongo = await connectMongo({ uri: u.toString(), logger });
  const models = createModels(mongo.conn);
  await ensureIndexes(models);
  fakes.hubspot.calls.length = 0;
  fakes.airtable.calls.length = 0;
  if (opts.fakeLimits) {
    fakes.hubspot.rateLimit({ per10s: 190 });
    fakes.airtable.rateLimit({ perSecond: 5 });
  }
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => void (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  const out = await runFullReconciliation({ hubspot, airtable, models, logger }, { trigger: 'bench', pageSize: PAGE });
  const ms = performance.now() - t0;
  clearInterval(sampler);
  const mb = (b: number) => Math.round(b / 1024 / 1024);
  const report = await models.ReconcileReport.findById(out.reportId).lean();
  const http = { hubspot: fakes.hubspot.calls.length, airtable: fakes.airtable.calls.length };
  const r429 = { hubspot: fakes.hubspot.calls.filter((c) => c.status === 429).length, airtable: fakes.airtable.calls.filter((c) => c.status === 429).length };
  const minimum = Math.ceil(N / PAGE) + Math.ceil((N - MISSING + ORPHANS) / PAGE);
  const total = http.hubspot + http.airtable - r429.hubspot - r429.airtable;
  console.log(`\n== ${label} ==`);
  console.log(`status            ${report?.status}${report?.errors.length ? ` errors=${report.errors.join('; ')}` : ''}`);
  console.log(`duration          ${(ms / 1000).toFixed(1)} s`);
  console.log(`compared          ${report?.objectsCompared?.hubspot} companies / ${report?.objectsCompared?.mirror} rows`);
  console.log(`findings          ${JSON.stringify(report?.findingsByType)} (seeded: drift ${DRIFT}, missing ${MISSING}, orphans ${ORPHANS})`);
  console.log(`exceptions        ${JSON.stringify(report?.exceptions)}`);
  console.log(`API calls (run)   ${JSON.stringify(report?.apiCalls)}`);
  console.log(`HTTP requests     hubspot ${http.hubspot}, airtable ${http.airtable}; 429 answered: hubspot ${r429.hubspot}, airtable ${r429.airtable} (all retried)`);
  console.log(`vs minimum        ${total} successful requests / ${minimum} minimum = ${((total / minimum - 1) * 100).toFixed(1)}% over`);
  console.log(`RSS               ${mb(rssBefore)} MB before the run (fakes with ${2 * N} records included), peak ${mb(rssPeak)} MB during it (+${mb(rssPeak - rssBefore)} MB); process max ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  await mongo.conn.dropDatabase().catch(() => undefined);
  await mongo.close();
  await hubspot.stop();
  await airtable.stop();
  return { status: report?.status, ms };
}

async function main(): Promise<void> {
  const db = await benchDatabase();
  const base = db.uri;
  const fakes = await startFakes();
  const rssBefore = Math.round(process.memoryUsage().rss / 1024 / 1024);
  seed(fakes);
  console.log(`seeded ${N} companies, ${N - MISSING + ORPHANS} mirror rows; RSS before seeding ${rssBefore} MB, after ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MB`);
  try {
    if (!process.env.BENCH_SKIP_UNTHROTTLED) await pass('pass 0: adapter limits lifted (cost of the comparison)', fakes, base, { unthrottled: true });
    await pass('pass 1: zero-latency fakes, adapters at production limits (190/10 s, 5/s)', fakes, base, {});
    const p2 = await pass('pass 2: fakes enforcing the real limits (429 beyond 190/10 s and 5/s)', fakes, base, { fakeLimits: true });
    if (p2.status !== 'completed') process.exitCode = 1;
  } finally {
    await fakes.stop();
    await db.stop();
  }
}

await main();
