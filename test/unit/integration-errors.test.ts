import { describe, expect, it } from 'vitest';
import { IntegrationError, classifyError, kindFromStatus, parseRetryAfter } from '../../src/integrations/errors.ts';
import { formulaString } from '../../src/integrations/airtable.ts';
import { scoreSop } from '../../src/integrations/notion.ts';
import { createIntegrations } from '../../src/integrations/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';

describe('integration error classification', () => {
  it.each([
    [429, 'rate_limited', true],
    [500, 'transient', true],
    [502, 'transient', true],
    [503, 'transient', true],
    [408, 'transient', true],
    [404, 'not_found', false],
    [400, 'invalid_input', false],
    [422, 'invalid_input', false],
    [401, 'auth', false],
    [403, 'auth', false],
    [409, 'external', false],
  ] as const)('when the status is %i, then the kind is %s (retryable %s)', (status, kind, retryable) => {
    expect(kindFromStatus(status)).toBe(kind);
    expect(classifyError('x', { status, message: 'm' })).toMatchObject({ kind, retryable, status });
  });

  it('when HubSpot throws an ApiException (status in `code`, headers as a record), then status and Retry-After are read', () => {
    const err = classifyError('hubspot', { code: 429, body: { message: 'ten_secondly_rolling' }, headers: { 'retry-after': '2' } });
    expect(err).toMatchObject({ service: 'hubspot', kind: 'rate_limited', status: 429, retryAfterMs: 2000 });
    expect(err.message).toContain('ten_secondly_rolling');
  });

  it('when Airtable rejects with statusCode, then it is classified by it', () => {
    expect(classifyError('airtable', { error: 'NOT_FOUND', statusCode: 404, message: 'gone' })).toMatchObject({ kind: 'not_found', status: 404 });
  });

  it('when headers are a fetch Headers object, then Retry-After is read from it', () => {
    const err = classifyError('openai', { status: 429, headers: new Headers({ 'Retry-After': '1.5' }) });
    expect(err.retryAfterMs).toBe(1500);
  });

  it.each([
    [{ code: 'ECONNRESET', message: 'socket hang up' }],
    [{ code: 'ETIMEDOUT', message: 'Timed out after 30000ms' }],
    [Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_SOCKET' } })],
    [{ error: 'CONNECTION_ERROR', statusCode: null, message: 'aborted' }],
    [{ code: 'notionhq_client_request_timeout', message: 'Request to Notion API has timed out' }],
    [Object.assign(new Error('Request timed out.'), { cause: Object.assign(new Error('aborted'), { name: 'AbortError' }) })],
  ])('when a network or timeout error is thrown (%o), then it is transient', (raw) => {
    expect(classifyError('svc', raw)).toMatchObject({ kind: 'transient', retryable: true });
  });

  it('when something unknown is thrown, then it is external and not retried', () => {
    expect(classifyError('svc', new RangeError('bug'))).toMatchObject({ kind: 'external', retryable: false });
    expect(classifyError('svc', 'a string')).toMatchObject({ kind: 'external' });
  });

  it('when an IntegrationError is classified again, then it is returned unchanged', () => {
    const e = new IntegrationError({ service: 'a', kind: 'auth', message: 'no' });
    expect(classifyError('b', e)).toBe(e);
  });

  it('when Retry-After is an HTTP date, then it becomes the milliseconds until then', () => {
    const now = Date.parse('2026-11-22T05:00:00Z');
    expect(parseRetryAfter('Sun, 22 Nov 2026 05:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('adapter helpers', () => {
  it('when a value holds quotes and backslashes, then the Airtable formula literal escapes them', () => {
    expect(formulaString("O'Reilly \\ Co")).toBe("'O\\'Reilly \\\\ Co'");
    expect(formulaString(42)).toBe('42');
  });

  it('when scoring SOP pages, then industry outweighs lifecycle and a page matching neither scores 0', () => {
    const page = (industry: string, stage: string) => ({
      id: 'p',
      properties: { Name: { type: 'title', title: [{ plain_text: 'SOP' }] }, Industry: { type: 'select', select: { name: industry } }, Stage: { type: 'select', select: { name: stage } } },
    });
    expect(scoreSop(page('Healthcare', 'customer'), 'healthcare', 'customer')).toBe(3);
    expect(scoreSop(page('Healthcare', 'lead'), 'healthcare', 'customer')).toBe(2);
    expect(scoreSop(page('Retail', 'customer'), 'healthcare', 'customer')).toBe(1);
    expect(scoreSop(page('Retail', 'lead'), 'healthcare', 'customer')).toBe(0);
  });
});

describe('createIntegrations', () => {
  const base = {
    PUBLIC_URL: 'http://127.0.0.1:1',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: 'test-signing-secret',
    HUBSPOT_ACCESS_TOKEN: 'pat-test',
    HUBSPOT_CLIENT_SECRET: 'test-hubspot-secret',
    ORCH_API_TOKEN: 'test-api-token-0123456789',
  };

  it('when only HubSpot is configured, then the optional adapters are null and health says not_configured', async () => {
    const integrations = createIntegrations(loadConfig(base), createLogger({ level: 'error' }), createMetrics(), null);
    expect(integrations.airtable).toBeNull();
    expect(integrations.notion).toBeNull();
    expect(integrations.openai).toBeNull();
    expect(integrations.lineage.enabled).toBe(false);
    expect(await integrations.health()).toEqual({ hubspot: 'ok', airtable: 'not_configured', notion: 'not_configured', openai: 'not_configured', neo4j: 'not_configured' });
    await integrations.stop();
  });

  it('when every key is set, then every adapter exists and they share one metrics registry', async () => {
    const metrics = createMetrics();
    const config = loadConfig({ ...base, AIRTABLE_API_KEY: 'patX', AIRTABLE_BASE_ID: 'appX', NOTION_TOKEN: 'ntn_x', OPENAI_API_KEY: 'sk-x' });
    const integrations = createIntegrations(config, createLogger({ level: 'error' }), metrics, null);
    expect(integrations.airtable && integrations.notion && integrations.openai).toBeTruthy();
    expect(metrics.registry.getSingleMetric('orch_integration_calls_total')).toBeDefined();
    await integrations.stop();
  });
});
