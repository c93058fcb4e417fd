import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AirtableFake } from '../fakes/airtable.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createAirtable, type AirtableAdapter, type AirtableOptions, type AirtableRecord } from '../../src/integrations/airtable.ts';
import { FAST_RETRIES, counterValue } from '../helpers/integrations.ts';

const logger = createLogger({ level: 'error' });
const BASE = 'appFAKEBASE000001';

describe('Airtable adapter against the Airtable fake', () => {
  let fake: AirtableFake;
  const open: AirtableAdapter[] = [];
  beforeAll(async () => {
    fake = await new AirtableFake().start();
  });
  afterEach(async () => {
    fake.reset();
    await Promise.all(open.splice(0).map((a) => a.stop()));
  });
  afterAll(() => fake.stop());

  function adapter(over: Partial<AirtableOptions> = {}) {
    const metrics = createMetrics();
    const at = createAirtable({ apiKey: 'patFAKEairtable.0000token', baseId: BASE, endpointUrl: fake.url, logger, metrics, resilience: FAST_RETRIES, ...over });
    if (!at) throw new Error('expected an adapter');
    open.push(at);
    return { at, registry: metrics.registry };
  }

  it('when the base id is missing, then Airtable is not configured', () => {
    expect(createAirtable({ apiKey: 'patX', baseId: undefined, endpointUrl: fake.url, logger, metrics: createMetrics() })).toBeNull();
  });

  it('when a table holds more than 100 records, then listPages follows offset through every page', async () => {
    for (let i = 0; i < 250; i++) fake.add('Accounts', { 'HubSpot ID': String(i), Name: `Co ${i}`, Notes: 'x' });
    const { at } = adapter();
    const sizes: number[] = [];
    const ids = new Set<string>();
    for await (const page of at.listPages('Accounts', { fields: ['HubSpot ID', 'Name'] })) {
      sizes.push(page.length);
      for (const r of page) {
        ids.add(r.id);
        expect(Object.keys(r.fields).sort()).toEqual(['HubSpot ID', 'Name']);
      }
    }
    expect(sizes).toEqual([100, 100, 50]);
    expect(ids.size).toBe(250);
  });

  it('when finding by a field whose value has a quote, then the formula is escaped and only that record matches', async () => {
    fake.add('Accounts', { Name: "O'Reilly", 'HubSpot ID': '1' });
    fake.add('Accounts', { Name: 'Other', 'HubSpot ID': '2' });
    const { at } = adapter();
    const found = await at.findByField('Accounts', 'Name', "O'Reilly");
    expect(found.map((r) => r.fields['HubSpot ID'])).toEqual(['1']);
    expect(await at.findByField('Accounts', 'HubSpot ID', '404')).toEqual([]);
  });

  it('when upserting the same HubSpot id twice, then the first creates and the second updates the same record', async () => {
    const { at } = adapter();
    const first = await at.upsertBy('Accounts', 'HubSpot ID', { 'HubSpot ID': '101', Name: 'Acme', Domain: 'acme.io' });
    const second = await at.upsertBy('Accounts', 'HubSpot ID', { 'HubSpot ID': '101', Name: 'Acme Inc' });
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, created: false });
    expect(fake.table('Accounts').size).toBe(1);
    expect(fake.table('Accounts').get(first.id)?.fields).toMatchObject({ Name: 'Acme Inc', Domain: 'acme.io' });
  });

  it('when the merge field has no value, then upsert refuses without calling Airtable', async () => {
    const { at } = adapter();
    await expect(at.upsertBy('Accounts', 'HubSpot ID', { Name: 'No id' })).rejects.toMatchObject({ kind: 'invalid_input' });
    expect(fake.calls).toHaveLength(0);
  });

  it('when creating and then updating a record, then the fake holds the merged fields', async () => {
    const { at } = adapter();
    const rec: AirtableRecord = await at.create('Procurement', { Deal: '55', Amount: 12000 });
    const updated = await at.update('Procurement', rec.id, { Status: 'approved' });
    expect(updated).toMatchObject({ id: rec.id, fields: { Deal: '55', Amount: 12000, Status: 'approved' } });
  });

  it('when Airtable answers 429, then the adapter backs off once and succeeds, and airtable.js does not retry on its own', async () => {
    fake.add('Accounts', { 'HubSpot ID': '9' });
    fake.inject({ match: 'GET /v0/', status: 429 });
    const { at, registry } = adapter();
    expect(await at.findByField('Accounts', 'HubSpot ID', '9')).toHaveLength(1);
    expect(fake.callsTo('GET /v0/').map((c) => c.status)).toEqual([429, 200]);
    expect(await counterValue(registry, 'orch_integration_retries_total', { service: 'airtable' })).toBe(1);
  });

  it('when Airtable keeps answering 429, then the retries are bounded and the error is rate_limited', async () => {
    fake.inject({ match: 'GET /v0/', status: 429, times: Infinity });
    const { at } = adapter();
    await expect(at.findByField('Accounts', 'HubSpot ID', '9')).rejects.toMatchObject({ service: 'airtable', kind: 'rate_limited', status: 429 });
    expect(fake.callsTo('GET /v0/')).toHaveLength(1 + FAST_RETRIES.retries);
  });

  it('when twelve lookups are fired at once against a 5 requests/s limit, then all succeed with at most a stray 429', async () => {
    fake.rateLimit({ perSecond: 5 });
    const { at } = adapter({ resilience: FAST_RETRIES });
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => at.findByField('Accounts', 'HubSpot ID', String(i))));
    expect(results).toHaveLength(12);
    // The limiter spaces requests by start time; on a loaded machine arrival jitter can push one
    // request into the previous second, which the retry absorbs. Without the limiter, 7 of 12 would be refused.
    expect(fake.calls.filter((c) => c.status === 429).length).toBeLessThanOrEqual(1);
    // 12 requests at ≤5/s need at least two full seconds of spacing.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });
});
