import { WebClient } from '@slack/web-api';
import { loadConfig } from '../../src/config.ts';
import { connectMongo } from '../../src/db/connection.ts';
import { createModels, ensureIndexes } from '../../src/db/models/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { EventBus } from '../../src/events.ts';
import type { SlackFake } from '../fakes/index.ts';
import { FAKE_CREDENTIALS } from '../fakes/index.ts';
import { uniqueMongoUri } from './db.ts';

/**
 * A partial app context on a database of its own and the Slack fake, for integration tests of
 * services that need only config, models, the Slack client and metrics (alerts, KPIs).
 */
export async function surfacesContext(label: string, slack: SlackFake, env: Record<string, string> = {}) {
  const { uri } = uniqueMongoUri(label);
  const config = loadConfig({
    PUBLIC_URL: 'http://127.0.0.1:1',
    SLACK_SIGNING_SECRET: 'test-signing-secret',
    HUBSPOT_CLIENT_SECRET: 'test-hubspot-secret',
    ORCH_API_TOKEN: 'test-api-token-0123456789',
    ...FAKE_CREDENTIALS,
    SLACK_API_URL: `${slack.url}/api/`,
    MONGODB_URI: uri,
    ...env,
  });
  const logger = createLogger({ level: 'error' });
  const mongo = await connectMongo({ uri, logger });
  const models = createModels(mongo.conn);
  await ensureIndexes(models);
  const client = new WebClient(config.SLACK_BOT_TOKEN, { slackApiUrl: config.SLACK_API_URL, retryConfig: { retries: 0 } });
  const ctx = { config, logger, models, mongo, slack: client, metrics: createMetrics(), events: new EventBus() };
  return {
    ctx,
    close: async () => {
      await mongo.conn.dropDatabase().catch(() => undefined);
      await mongo.close();
    },
  };
}
