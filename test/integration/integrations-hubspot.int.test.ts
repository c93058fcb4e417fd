import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HubSpotFake } from '../fakes/hubspot.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createHubSpot, type HubSpotAdapter, type HubSpotOptions } from '../../src/integrations/hubspot.ts';
import { IntegrationError, isCircuitOpen } from '../../src/integrations/errors.ts';
import { FAST_RETRIES, counterValue } from '../helpers/integrations.ts';

const logger = createLogger({ level: 'error' });
const TOKEN = 'pat-na1-fake-hubspot-access-token';

describe('HubSpot adapter against the HubSpot fake', () => {
  let fake: HubSpotFake;
  const open: HubSpotAdapter[] = [];
  beforeAll(async () => {
    fake = await new HubSpotFake().start();
  });
  afterEach(async () => {
    fake.reset();
    await Promise.all(open.splice(0).map((a) => a.stop()));
  });
  afterAll(() => fake.stop());

  function adapter(over: Partial<HubSpotOptions> = {}) {
    const metrics = createMetrics();
    const hs = createHubSpot({ accessToken: TOKEN, basePath: fake.url, logger, metrics, resilience: FAST_RETRIES, ...over });
    if (!hs) throw new Error('expected an adapter');
    open.push(hs);
    return { hs, registry: metrics.registry };
  }

  it('when no access token is configured, then there is no adapter', () => {
    expect(createHubSpot({ accessToken: undefined, basePath: fake.url, logger, metrics: createMetrics() })).toBeNull();
  });

  it('when a company exists, then getObject returns its properties and associations', async () => {
    fake.put('companies', { id: '101', properties: { name: 'Acme', domain: 'acme.io' }, associations: { contacts: ['7', '8'] } });
    const { hs } = adapter();
    const c = await hs.getObject('companies', '101', ['name', 'domain'], ['contacts']);
    expect(c).toMatchObject({ id: '101', properties: { name: 'Acme', domain: 'acme.io' }, associations: { contacts: ['7', '8'] } });
    expect(fake.callsTo('GET /crm/v3/objects/companies/101')[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('when the object does not exist, then getObject returns null without retrying', async () => {
    const { hs, registry } = adapter();
    expect(await hs.getObject('companies', '404404', ['name'])).toBeNull();
    expect(fake.callsTo('/crm/v3/objects/companies/404404')).toHaveLength(1);
    expect(await counterValue(registry, 'orch_integration_calls_total', { service: 'hubspot', outcome: 'not_found' })).toBe(1);
    expect(await hs.health()).toBe('ok');
  });

  it('when a batch read includes a missing id, then the map holds only the found ones', async () => {
    fake.put('companies', { id: '1', properties: { name: 'One' } });
    fake.put('companies', { id: '2', properties: { name: 'Two' } });
    const { hs } = adapter();
    const got = await hs.batchRead('companies', ['1', '2', '999'], ['name']);
    expect([...got.keys()].sort()).toEqual(['1', '2']);
    expect(got.get('2')?.properties.name).toBe('Two');
  });

  it('when a batch read asks for more than 100 ids, then it is split into chunks of 100', async () => {
    for (let i = 1; i <= 150; i++) fake.put('contacts', { id: String(i), properties: { email: `c${i}@x.io` } });
    const { hs } = adapter();
    const ids = Array.from({ length: 150 }, (_, i) => String(i + 1));
    const got = await hs.batchRead('contacts', ids, ['email']);
    expect(got.size).toBe(150);
    expect(fake.callsTo('POST /crm/v3/objects/contacts/batch/read').map((c) => (c.body as { inputs: unknown[] }).inputs.length)).toEqual([100, 50]);
  });

  it('when listing with a limit, then following `after` visits every object once', async () => {
    for (let i = 1; i <= 230; i++) fake.put('companies', { id: String(1000 + i), properties: { name: `C${i}` } });
    const { hs } = adapter();
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await hs.listObjects('companies', { limit: 100, properties: ['name'], ...(after ? { after } : {}) });
      seen.push(...page.results.map((o) => o.id));
      after = page.after;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(230);
  });

  it('when a property is updated, then the fake holds the new value', async () => {
    fake.put('deals', { id: '55', properties: { dealname: 'Big', orch_procurement_status: null } });
    const { hs } = adapter();
    const updated = await hs.updateObject('deals', '55', { orch_procurement_status: 'approved' });
    expect(updated.properties.orch_procurement_status).toBe('approved');
    expect(fake.get('deals', '55')?.properties.orch_procurement_status).toBe('approved');
  });

  it('when asking for associations, then every associated id comes back as a string', async () => {
    fake.put('deals', { id: '77', associations: { companies: ['101'], contacts: ['7', '8', '9'] } });
    const { hs } = adapter();
    expect(await hs.getAssociations('deals', '77', 'contacts')).toEqual(['7', '8', '9']);
  });

  it('when HubSpot answers 429 with Retry-After then 200, then the call succeeds after waiting and the retry is counted', async () => {
    fake.put('companies', { id: '5', properties: { name: 'Five' } });
    fake.inject({ match: 'GET /crm/v3/objects/companies/5', status: 429, retryAfter: 1 });
    const { hs, registry } = adapter();
    const c = await hs.getObject('companies', '5', ['name']);
    expect(c?.properties.name).toBe('Five');
    const calls = fake.callsTo('GET /crm/v3/objects/companies/5');
    expect(calls.map((x) => x.status)).toEqual([429, 200]);
    // Backoff alone would be ~10-20 ms here; the gap proves Retry-After (1 s) was honoured.
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(950);
    expect(await counterValue(registry, 'orch_integration_retries_total', { service: 'hubspot' })).toBe(1);
    expect(await counterValue(registry, 'orch_integration_calls_total', { service: 'hubspot', outcome: 'ok' })).toBe(1);
  });

  it('when HubSpot keeps answering 5xx, then retries are exhausted and a transient IntegrationError is thrown', async () => {
    fake.put('companies', { id: '6', properties: { name: 'Six' } });
    fake.inject({ match: 'GET /crm/v3/objects/companies/6', status: 503, times: Infinity });
    const { hs, registry } = adapter();
    const err = await hs.getObject('companies', '6', ['name']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrationError);
    expect(err).toMatchObject({ service: 'hubspot', kind: 'transient', status: 503, retryable: true });
    expect(fake.callsTo('GET /crm/v3/objects/companies/6')).toHaveLength(1 + FAST_RETRIES.retries);
    expect(await counterValue(registry, 'orch_integration_retries_total', { service: 'hubspot' })).toBe(FAST_RETRIES.retries);
    expect(await counterValue(registry, 'orch_integration_calls_total', { service: 'hubspot', outcome: 'transient' })).toBe(1);
  });

  it('when failures repeat, then the circuit opens, calls fail fast without reaching HubSpot, and health is degraded', async () => {
    fake.put('companies', { id: '7', properties: { name: 'Seven' } });
    fake.inject({ match: 'GET /crm/v3/objects/companies/7', status: 500, times: Infinity });
    const { hs, registry } = adapter({ resilience: { ...FAST_RETRIES, retries: 1, volumeThreshold: 4, resetTimeoutMs: 60_000 } });
    for (let i = 0; i < 2; i++) await expect(hs.getObject('companies', '7', ['name'])).rejects.toMatchObject({ kind: 'transient' });
    const before = fake.callsTo('GET /crm/v3/objects/companies/7').length;
    expect(before).toBe(4);
    const refused = await hs.getObject('companies', '7', ['name']).catch((e: unknown) => e);
    expect(isCircuitOpen(refused)).toBe(true);
    expect(refused).toMatchObject({ kind: 'transient', retryable: true, retryAfterMs: 60_000 });
    expect(fake.callsTo('GET /crm/v3/objects/companies/7')).toHaveLength(before);
    expect(await counterValue(registry, 'orch_integration_calls_total', { service: 'hubspot', outcome: 'circuit_open' })).toBe(1);
    expect(await hs.health()).toBe('degraded');
  });

  it('when the service recovers after the circuit opened, then a trial call closes it and health is ok again', async () => {
    fake.put('companies', { id: '17', properties: { name: 'Seventeen' } });
    fake.inject({ match: 'GET /crm/v3/objects/companies/17', status: 502, times: 2 });
    const { hs } = adapter({ resilience: { ...FAST_RETRIES, retries: 0, volumeThreshold: 2, resetTimeoutMs: 200 } });
    for (let i = 0; i < 2; i++) await expect(hs.getObject('companies', '17', ['name'])).rejects.toMatchObject({ kind: 'transient' });
    await expect(hs.getObject('companies', '17', ['name'])).rejects.toThrow(/circuit open/);
    expect(await hs.health()).toBe('degraded');
    // Half-open after resetTimeoutMs: the first call through is the trial, and it succeeds.
    const c = await vi.waitFor(() => hs.getObject('companies', '17', ['name']), { timeout: 3000, interval: 50 });
    expect(c?.properties.name).toBe('Seventeen');
    expect(await hs.health()).toBe('ok');
  });

  it('when the daily quota is exhausted, then the call fails as rate_limited without retrying', async () => {
    fake.inject({ match: '/crm/v3/objects/companies/9', status: 429, body: { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY' } });
    const { hs } = adapter();
    await expect(hs.getObject('companies', '9', ['name'])).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 3_600_000 });
    expect(fake.callsTo('/crm/v3/objects/companies/9')).toHaveLength(1);
  });

  it('when the token is refused, then an auth IntegrationError is thrown at once', async () => {
    fake.inject({ match: '/crm/v3/objects/companies/8', status: 401 });
    const { hs } = adapter();
    await expect(hs.getObject('companies', '8', ['name'])).rejects.toMatchObject({ kind: 'auth', status: 401, retryable: false });
    expect(fake.callsTo('/crm/v3/objects/companies/8')).toHaveLength(1);
  });
});
