/**
 * `npm run bench:integrations`: how close the adapters run to the SaaS rate limits without being
 * refused. HubSpot fake enforces 190 requests per rolling 10 s, Airtable fake 5 per second; the
 * adapters are given the same limits and a burst of concurrent calls. Prints throughput, 429s seen
 * by the fakes and retries counted by the adapters.
 */
import { HubSpotFake } from '../test/fakes/hubspot.ts';
import { AirtableFake } from '../test/fakes/airtable.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { createHubSpot } from '../src/integrations/hubspot.ts';
import { createAirtable } from '../src/integrations/airtable.ts';

const logger = createLogger({ level: 'error' });
const HUBSPOT_CALLS = Number(process.env.BENCH_HUBSPOT_CALLS ?? 400);
const AIRTABLE_CALLS = Number(process.env.BENCH_AIRTABLE_CALLS ?? 40);

async function retries(registry: ReturnType<typeof createMetrics>['registry'], service: string): Promise<number> {
  const m = registry.getSingleMetric('orch_integration_retries_total');
  const v = m ? (await m.get()).values.find((x) => x.labels.service === service) : undefined;
  return v ? Number(v.value) : 0;
}

async function hubspot(): Promise<void> {
  const fake = await new HubSpotFake().start();
  for (let i = 1; i <= 50; i++) fake.put('companies', { id: String(i), properties: { name: `C${i}` } });
  fake.rateLimit({ per10s: 190 });
  const metrics = createMetrics();
  const hs = createHubSpot({ accessToken: 'pat-bench', basePath: fake.url, ratePer10s: 190, logger, metrics });
  if (!hs) throw new Error('no adapter');
  const t0 = performance.now();
  await Promise.all(Array.from({ length: HUBSPOT_CALLS }, (_, i) => hs.getObject('companies', String((i % 50) + 1), ['name'])));
  const s = (performance.now() - t0) / 1000;
  const refused = fake.calls.filter((c) => c.status === 429).length;
  console.log(`hubspot: ${HUBSPOT_CALLS} calls in ${s.toFixed(1)} s = ${((HUBSPOT_CALLS / s) * 10).toFixed(0)} per 10 s (limit 190), 429s from the fake: ${refused}, retries: ${await retries(metrics.registry, 'hubspot')}`);
  await hs.stop();
  await fake.stop();
}

async function airtable(): Promise<void> {
  const fake = await new AirtableFake().start();
  fake.rateLimit({ perSecond: 5 });
  const metrics = createMetrics();
  const at = createAirtable({ apiKey: 'patBENCH', baseId: 'appBENCH', endpointUrl: fake.url, logger, metrics });
  if (!at) throw new Error('no adapter');
  const t0 = performance.now();
  await Promise.all(Array.from({ length: AIRTABLE_CALLS }, (_, i) => at.upsertBy('Accounts', 'HubSpot ID', { 'HubSpot ID': String(i % 10), Name: `N${i}` })));
  const s = (performance.now() - t0) / 1000;
  const refused = fake.calls.filter((c) => c.status === 429).length;
  console.log(`airtable: ${AIRTABLE_CALLS} upserts in ${s.toFixed(1)} s = ${(AIRTABLE_CALLS / s).toFixed(2)} per s (limit 5), 429s from the fake: ${refused}, retries: ${await retries(metrics.registry, 'airtable')}, records: ${fake.table('Accounts').size}`);
  await at.stop();
  await fake.stop();
}

await hubspot();
await airtable();
