import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import { loadConfig } from '../../src/config.ts';
import { connectMongo, type MongoHandles } from '../../src/db/connection.ts';
import { createModels, ensureIndexes, type Models } from '../../src/db/models/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { EventBus } from '../../src/events.ts';
import { createIntegrations } from '../../src/integrations/index.ts';
import type { AppContext } from '../../src/context.ts';
import { seedPolicies } from '../../src/services/policies.ts';
import { WorkflowEngine } from '../../workflows/engine.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { until } from '../helpers/ingest.ts';

let fakes: Fakes;
let mongo: MongoHandles;
let models: Models;
let engine: WorkflowEngine;

beforeAll(async () => {
  fakes = await startFakes();
  mongo = await connectMongo({ uri: uniqueMongoUri('unconfwrites').uri, logger: createLogger({ level: 'error' }) });
  models = createModels(mongo.conn);
  await ensureIndexes(models);
  await seedPolicies(models, createLogger({ level: 'error' }));
  // Live mode without Airtable: '' counts as unset.
  const config = loadConfig({ PUBLIC_URL: 'http://127.0.0.1:1', SLACK_SIGNING_SECRET: 'test-signing-secret', HUBSPOT_CLIENT_SECRET: 'test-hubspot-secret', ORCH_API_TOKEN: 'test-api-token-0123456789', ...fakes.env(), AIRTABLE_API_KEY: '', AIRTABLE_BASE_ID: '', ORCH_MODE: 'live' });
  const logger = createLogger({ level: 'error' });
  const metrics = createMetrics();
  const slack = new WebClient(config.SLACK_BOT_TOKEN, { slackApiUrl: config.SLACK_API_URL, retryConfig: { retries: 0 } });
  const integrations = createIntegrations(config, logger, metrics, null);
  const ctx = { config, logger, metrics, mongo, models, neo4j: null, slack, events: new EventBus(), integrations } as unknown as AppContext;
  engine = new WorkflowEngine(ctx, integrations, { leaseMs: 5000, pollMs: 50, concurrency: 2, retries: 1, retryMinTimeoutMs: 10 });
  await engine.start();
});
afterAll(async () => {
  await engine.stop();
  await mongo.conn.dropDatabase().catch(() => undefined);
  await mongo.close();
  await fakes.stop();
});

function run(id: string, workflowId: string, objectType: string, objectId: string, properties: Record<string, string>) {
  return { _id: id, workflowId, status: 'PENDING' as const, mode: 'live' as const, objectType, objectId, correlationKey: `${objectType}:${objectId}:1:${workflowId}`, envelope: { meta: { objectType, objectId, eventIds: [] }, payload: { properties } } };
}

describe('a live run whose writes need an unconfigured service', () => {
  it.each([
    ['company-intake', 'company', '9101', { name: 'Big Bank', domain: 'bigbank.com', numberofemployees: '50000', annualrevenue: '900000000' }],
    ['procurement-approval', 'deal', '9201', { dealname: 'Huge deal', amount: '250000', dealstage: 'contractsent' }],
    ['contact-role-mapping', 'contact', '9401', { firstname: 'Cora', lastname: 'Finance', email: 'cora@bigbank.com', jobtitle: 'Chief Financial Officer' }],
    ['deal-stage-kickoff', 'deal', '9501', { dealname: 'Won deal', amount: '50000', dealstage: 'closedwon' }],
  ])('when %s runs live without Airtable, then it fails before any approval is asked, naming AIRTABLE_API_KEY', async (workflowId, objectType, objectId, properties) => {
    fakes.hubspot.put(objectType, { id: objectId, properties });
    const id = `run_unconf_${objectId}`;
    await models.Run.create(run(id, workflowId, objectType, objectId, properties));
    const failed = await until(async () => models.Run.findOne({ _id: id, status: 'FAILED' }).lean(), 15_000, 'FAILED');
    expect(failed.errorClass).toBe('configuration');
    expect(failed.error).toContain('Airtable is not configured: set AIRTABLE_API_KEY and AIRTABLE_BASE_ID');
    expect(await models.Approval.countDocuments({ runId: id })).toBe(0);
    expect(fakes.slack.messagesIn('orch-approvals').filter((m) => JSON.stringify(m.blocks ?? []).includes(objectId))).toEqual([]);
  });
});
