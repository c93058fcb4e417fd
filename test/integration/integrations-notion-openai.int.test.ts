import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotionFake } from '../fakes/notion.ts';
import { OpenAIFake } from '../fakes/openai.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createNotion, type NotionAdapter, type NotionOptions } from '../../src/integrations/notion.ts';
import { createOpenAI, type OpenAIAdapter, type OpenAIOptions } from '../../src/integrations/openai.ts';
import { IntegrationError } from '../../src/integrations/errors.ts';
import { FAST_RETRIES, counterValue } from '../helpers/integrations.ts';

const logger = createLogger({ level: 'error' });

describe('Notion adapter against the Notion fake', () => {
  let fake: NotionFake;
  const open: NotionAdapter[] = [];
  beforeAll(async () => {
    fake = await new NotionFake().start();
  });
  afterEach(async () => {
    fake.reset();
    await Promise.all(open.splice(0).map((a) => a.stop()));
  });
  afterAll(() => fake.stop());

  function adapter(over: Partial<NotionOptions> = {}) {
    const n = createNotion({ token: 'ntn_fake_notion_token_0000', baseUrl: fake.url, logger, metrics: createMetrics(), resilience: FAST_RETRIES, ...over });
    if (!n) throw new Error('expected an adapter');
    open.push(n);
    return n;
  }

  it('when no token is configured, then Notion is not configured', () => {
    expect(createNotion({ token: undefined, baseUrl: fake.url, logger, metrics: createMetrics() })).toBeNull();
  });

  it('when an SOP page for the industry exists, then search finds it with its URL', async () => {
    const sop = fake.addPage({ title: 'Healthcare onboarding SOP', url: 'https://notion.so/healthcare-sop' });
    fake.addPage({ title: 'Manufacturing SOP' });
    const found = await adapter().findSop({ industry: 'Healthcare', lifecycleStage: 'customer' });
    expect(found).toEqual({ id: sop.id, title: 'Healthcare onboarding SOP', url: 'https://notion.so/healthcare-sop' });
    expect(fake.callsTo('POST /v1/search')[0]?.body).toMatchObject({ query: 'Healthcare', filter: { property: 'object', value: 'page' } });
  });

  it('when many runs look up the SOP for the same industry within a minute, then Notion is searched once', async () => {
    fake.addPage({ title: 'Healthcare onboarding SOP', url: 'https://notion.so/healthcare-sop' });
    const a = adapter();
    const found = await Promise.all(Array.from({ length: 10 }, () => a.findSop({ industry: 'Healthcare', lifecycleStage: 'customer' })));
    expect(new Set(found.map((f) => f?.url))).toEqual(new Set(['https://notion.so/healthcare-sop']));
    expect(await a.findSop({ industry: 'Healthcare', lifecycleStage: 'lead' })).toMatchObject({ url: 'https://notion.so/healthcare-sop' });
    expect(fake.callsTo('POST /v1/search')).toHaveLength(1);
  });

  it('when no page matches the industry, then findSop returns null', async () => {
    fake.addPage({ title: 'Manufacturing SOP' });
    expect(await adapter().findSop({ industry: 'Mining' })).toBeNull();
  });

  it('when neither industry nor lifecycle is known, then nothing is asked of Notion', async () => {
    expect(await adapter().findSop({ industry: null, lifecycleStage: '' })).toBeNull();
    expect(fake.calls).toHaveLength(0);
  });

  it('when an SOP database is configured, then the page matching industry and lifecycle wins over one matching industry only', async () => {
    const db = fake.addDatabase({ title: 'SOPs' });
    fake.addPage({ title: 'Finance: general', databaseId: db, properties: { Industry: 'Financial Services', Lifecycle: 'lead' } });
    const best = fake.addPage({ title: 'Finance: customer onboarding', databaseId: db, properties: { Industry: 'Financial Services', Lifecycle: 'customer' } });
    fake.addPage({ title: 'Financial Services customer (not in the database)' });
    const found = await adapter({ sopDatabaseId: db }).findSop({ industry: 'FINANCIAL_SERVICES', lifecycleStage: 'customer' });
    expect(found?.id).toBe(best.id);
    expect(fake.callsTo(`GET /v1/databases/${db}`)).toHaveLength(1);
    expect(fake.callsTo(`POST /v1/data_sources/${db}/query`)).toHaveLength(1);
  });

  it('when Notion answers 503 once, then the lookup is retried and succeeds', async () => {
    fake.addPage({ title: 'Retail SOP' });
    fake.inject({ match: 'POST /v1/search', status: 503 });
    expect((await adapter().findSop({ industry: 'retail' }))?.title).toBe('Retail SOP');
    expect(fake.callsTo('POST /v1/search').map((c) => c.status)).toEqual([503, 200]);
  });
});

describe('OpenAI adapter against the OpenAI fake', () => {
  let fake: OpenAIFake;
  const open: OpenAIAdapter[] = [];
  beforeAll(async () => {
    fake = await new OpenAIFake().start();
  });
  afterEach(async () => {
    fake.reset();
    await Promise.all(open.splice(0).map((a) => a.stop()));
  });
  afterAll(() => fake.stop());

  function adapter(over: Partial<OpenAIOptions> = {}) {
    const o = createOpenAI({ apiKey: 'sk-fake-openai-key-0000', baseURL: `${fake.url}/v1`, model: 'gpt-4o-mini', logger, metrics: createMetrics(), resilience: { minTimeoutMs: 10 }, ...over });
    if (!o) throw new Error('expected an adapter');
    open.push(o);
    return o;
  }

  it('when no key is configured, then OpenAI is not configured', () => {
    expect(createOpenAI({ apiKey: undefined, model: 'm', logger, metrics: createMetrics() })).toBeNull();
  });

  it('when the model answers valid JSON, then the enrichment is returned and the request used a strict JSON schema', async () => {
    const out = await adapter().enrichCompany({ name: 'Acme', domain: 'acme.io' });
    expect(out).toEqual({ industry: 'Software', riskLevel: 'LOW', summary: expect.stringContaining('Acme') });
    expect(fake.requests[0]?.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'company_enrichment', strict: true } });
  });

  it('when the model answers invalid JSON, then an invalid_input IntegrationError is thrown without a retry', async () => {
    fake.respondWith('{"industry": "Software", riskLevel');
    const err = await adapter().enrichCompany({ name: 'Acme' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrationError);
    expect(err).toMatchObject({ service: 'openai', kind: 'invalid_input', retryable: false });
    expect(fake.requests).toHaveLength(1);
  });

  it('when the JSON breaks the schema, then it is refused as invalid_input', async () => {
    fake.respondWith({ industry: 'Mining', riskLevel: 'EXTREME', summary: 'x' });
    await expect(adapter().enrichCompany({ name: 'Acme' })).rejects.toMatchObject({ kind: 'invalid_input', message: expect.stringContaining('riskLevel') });
  });

  it('when the model refuses, then an external IntegrationError says so', async () => {
    fake.respondWith({ refusal: 'I cannot help with that.' });
    await expect(adapter().enrichCompany({ name: 'Acme' })).rejects.toMatchObject({ kind: 'external', message: expect.stringContaining('refused') });
  });

  it('when the API fails twice with 500, then exactly one retry happens and the error is transient', async () => {
    fake.inject({ match: 'POST /v1/chat/completions', status: 500, times: 2 });
    await expect(adapter().enrichCompany({ name: 'Acme' })).rejects.toMatchObject({ kind: 'transient', status: 500 });
    expect(fake.callsTo('POST /v1/chat/completions')).toHaveLength(2);
  });

  it('when the first answer is slower than the timeout, then it is abandoned and the one retry succeeds', async () => {
    fake.inject({ match: 'POST /v1/chat/completions', delayMs: 1500 });
    const metrics = createMetrics();
    const out = await adapter({ timeoutMs: 300, metrics }).enrichCompany({ name: 'Slowco' });
    expect(out.riskLevel).toBe('LOW');
    expect(await counterValue(metrics.registry, 'orch_integration_retries_total', { service: 'openai' })).toBe(1);
  });
});
