import { WebClient } from '@slack/web-api';
import { loadConfig } from '../../src/config.ts';
import type { AppContext } from '../../src/context.ts';
import { connectMongo } from '../../src/db/connection.ts';
import { createModels, ensureIndexes } from '../../src/db/models/index.ts';
import { EventBus } from '../../src/events.ts';
import { createIntegrations } from '../../src/integrations/index.ts';
import { createAirtable } from '../../src/integrations/airtable.ts';
import { createHubSpot } from '../../src/integrations/hubspot.ts';
import { Lifecycle } from '../../src/lifecycle.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createAgenda } from '../../jobs/agenda.ts';
import type { Fakes } from '../fakes/index.ts';
import { uniqueMongoUri } from './db.ts';

/** A company in HubSpot's shape, with every mirrored property set. */
export function hsCompany(id: string, over: Record<string, string | null> = {}) {
  return {
    id,
    properties: { name: `Acme ${id}`, domain: `acme${id}.com`, industry: 'SOFTWARE', numberofemployees: '50', annualrevenue: '1000000', lifecyclestage: 'customer', hubspot_owner_id: '77', ...over },
  };
}

/** The Airtable row that mirrors hsCompany(id) exactly. */
export function mirrorRow(id: string | undefined, over: Record<string, string | number | null> = {}) {
  return {
    ...(id ? { 'HubSpot Id': id } : {}),
    Name: `Acme ${id}`,
    Domain: `acme${id}.com`,
    Industry: 'SOFTWARE',
    Employees: 50,
    'Annual Revenue': 1000000,
    'Lifecycle Stage': 'customer',
    Owner: '77',
    ...over,
  };
}

/**
 * A real app context (a database of its own, real adapters and Slack client against the
 * fakes, Agenda on the same database) without the HTTP server: services and jobs under test.
 */
export async function reconcileContext(label: string, fakes: Fakes, env: Record<string, string> = {}) {
  const { uri, dbName } = uniqueMongoUri(label);
  const config = loadConfig({
    PUBLIC_URL: 'http://127.0.0.1:1',
    SLACK_SIGNING_SECRET: 'test-signing-secret',
    HUBSPOT_CLIENT_SECRET: 'test-hubspot-secret',
    ORCH_API_TOKEN: 'test-api-token-0123456789',
    ORCH_ADMINS: 'UADMIN1',
    ...fakes.env(),
    MONGODB_URI: uri,
    ...env,
  });
  const logger = createLogger({ level: 'error' });
  const metrics = createMetrics();
  const lifecycle = new Lifecycle(logger);
  const mongo = await connectMongo({ uri, logger });
  const models = createModels(mongo.conn);
  await ensureIndexes(models);
  await models.User.create({ slackUserId: 'UADMIN1', role: 'admin', addedBy: 'test' });
  const base = createIntegrations(config, logger, metrics, null);
  await base.stop();
  // Short backoff so 429 tests run fast; the production code path is the same.
  const fast = { minTimeoutMs: 50, maxTimeoutMs: 1500, retries: 6 };
  const airtable = createAirtable({ apiKey: config.AIRTABLE_API_KEY, baseId: config.AIRTABLE_BASE_ID, endpointUrl: config.AIRTABLE_API_URL, logger, metrics, resilience: fast });
  const hubspot = createHubSpot({ accessToken: config.HUBSPOT_ACCESS_TOKEN, basePath: config.HUBSPOT_API_URL, logger, metrics, resilience: fast });
  if (!hubspot) throw new Error('HubSpot adapter not configured');
  const integrations: AppContext['integrations'] = { ...base, hubspot, airtable, stop: async () => void (await Promise.all([hubspot.stop(), airtable?.stop()])) };
  const slack = new WebClient(config.SLACK_BOT_TOKEN, { slackApiUrl: config.SLACK_API_URL, retryConfig: { retries: 0 } });
  const agenda = createAgenda({ db: mongo.client.db(dbName), logger, processEveryMs: 200 });
  const ctx: AppContext = { config, logger, metrics, mongo, models, neo4j: null, slack, lifecycle, agenda, events: new EventBus(), integrations };
  return {
    ctx,
    close: async () => {
      await agenda.stop().catch(() => undefined);
      await integrations.stop().catch(() => undefined);
      await mongo.conn.dropDatabase().catch(() => undefined);
      await mongo.close();
    },
  };
}
