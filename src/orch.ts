import http from 'node:http';
import express from 'express';
import bolt from '@slack/bolt';
import type { Config } from './config.ts';
import { secretValues } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { connectMongo, pingMongo, StartupError, type MongoHandles } from './db/connection.ts';
import { checkDatabase, failureLine } from './db/check.ts';
import { startEmbeddedMongo } from './db/embedded.ts';
import { createModels, ensureIndexes } from './db/models/index.ts';
import { createNeo4jDriver } from './integrations/neo4j.ts';
import { createIntegrations } from './integrations/index.ts';
import { Lifecycle } from './lifecycle.ts';
import { slackLogger } from './slack-logger.ts';
import { checkHubSpotToken, checkSlackToken, configWarnings } from './startup-checks.ts';
import { startMetricsServer } from './http/metrics-server.ts';
import { healthRouter, type Check } from './http/health.ts';
import { authenticateApi, guardWrites } from './http/api-auth.ts';
import { jsonErrors, notFound } from './http/json-errors.ts';
import { countRequests } from './http/request-metrics.ts';
import { seedAdmins } from './services/rbac.ts';
import { syncPoliciesToLineage } from './services/policies.ts';
import type { AppContext } from './context.ts';
import { registerListeners } from '../bot/index.ts';
import { createAgenda } from '../jobs/agenda.ts';
import { registerJobs } from '../jobs/index.ts';
import { EventBus } from './events.ts';
import { reconcileApi } from './http/api-reconcile.ts';
import { createIngest, WEBHOOK_PATH } from './ingest/index.ts';
import { setupWorkflows } from '../workflows/index.ts';
import { runsApi } from './http/api-runs.ts';
import { configurePii } from '../blocks/pii.ts';
import { backtestApi } from './http/api-backtest.ts';

const { App, ExpressReceiver, LogLevel } = bolt;

export interface OrchOptions {
  logger?: Logger;
}

export interface Orch {
  ctx: AppContext;
  /** The port actually listened on (PORT=0 picks a free one). */
  port(): number;
  stop(): Promise<boolean>;
}

/** Builds and starts everything; the returned handle owns the lifecycle (tests start and stop it). */
export async function startOrch(config: Config, opts: OrchOptions = {}): Promise<Orch> {
  const logger = opts.logger ?? createLogger({ level: config.LOG_LEVEL, secrets: secretValues(config) });
  const lifecycle = new Lifecycle(logger);
  const metrics = createMetrics();
  // What counts as personal data in Slack (blocks/pii.ts): set once, before any message is built.
  configurePii({ region: config.ORCH_PHONE_REGION, properties: config.ORCH_PII_PROPERTIES });
  for (const warning of configWarnings(config)) logger.warn(warning);
  // Before anything starts: a refused token stops the start with one line naming SLACK_BOT_TOKEN.
  // Both at once: on a network that drops packets, start-up waits one timeout (5 s), not two.
  const [slackIdentity] = await Promise.all([checkSlackToken(config, logger), checkHubSpotToken(config, logger)]);

  let mongoUri = config.MONGODB_URI;
  if (!mongoUri) {
    const embedded = await startEmbeddedMongo(config.ORCH_DATA_DIR, logger);
    logger.warn(`MONGODB_URI is not set: using an EMBEDDED ${embedded.kind} database under ${config.ORCH_DATA_DIR}/ for DEVELOPMENT ONLY. Set MONGODB_URI in production.`, { kind: embedded.kind, uri: embedded.uri });
    mongoUri = embedded.uri;
    lifecycle.add({ name: 'embedded-mongo', stop: embedded.stop });
  }
  let mongo: MongoHandles;
  try {
    mongo = await connectMongo({ uri: mongoUri, logger, maxRetryTimeMs: config.ORCH_MONGO_RETRY_MS, slowMs: config.ORCH_DB_SLOW_MS });
  } catch (err) {
    await lifecycle.stop(config.ORCH_SHUTDOWN_TIMEOUT_MS);
    throw err;
  }
  lifecycle.add({ name: 'mongo', stop: () => mongo.close() });
  const models = createModels(mongo.conn);
  await ensureIndexes(models, (message) => logger.info(message));
  if (config.ORCH_DB_CHECK === 'on') {
    const failed = failureLine(await checkDatabase(mongo.client.db(mongo.dbName)));
    if (failed) {
      await lifecycle.stop(config.ORCH_SHUTDOWN_TIMEOUT_MS);
      throw new StartupError(failed);
    }
  }

  const neo4j = createNeo4jDriver(config);
  if (neo4j) lifecycle.add({ name: 'neo4j', stop: () => neo4j.close() });
  else logger.info('NEO4J_URI is not set: lineage is off');
  const integrations = createIntegrations(config, logger, metrics, neo4j);
  // Added after the driver so it stops first. Constraints are ensured in the background (idempotent,
  // errors logged): MERGE dedupes without them, and start-up must not wait on a slow Neo4j.
  // Policy versions become lineage nodes with their validity, for "which policy applied on date X".
  const syncLineage = () => integrations.lineage.ensureConstraints().then(() => syncPoliciesToLineage(models, integrations.lineage));
  lifecycle.add({ name: 'integrations', start: () => void syncLineage().catch((err: Error) => logger.warn('lineage: policy sync failed', { error: err.message })), stop: () => integrations.stop() });

  const expressApp = express();
  expressApp.disable('x-powered-by');
  expressApp.use(countRequests(metrics));
  const web = config.ORCH_ROLE !== 'worker';
  const socketMode = Boolean(config.SLACK_APP_TOKEN);
  const boltLogger = slackLogger(logger);
  const clientOptions = { slackApiUrl: config.SLACK_API_URL, logger: boltLogger };
  const receiver =
    web && !socketMode
      ? new ExpressReceiver({ signingSecret: config.SLACK_SIGNING_SECRET as string, app: expressApp, logger: boltLogger, processBeforeResponse: false })
      : undefined;
  const app = new App({
    token: config.SLACK_BOT_TOKEN,
    // The ids from the start-up check, so Bolt makes no auth.test of its own (its failure would be an unhandled rejection).
    ...(slackIdentity ? { botId: slackIdentity.botId, botUserId: slackIdentity.botUserId } : { tokenVerificationEnabled: false }),
    logger: boltLogger,
    logLevel: LogLevel.INFO,
    clientOptions,
    ...(receiver ? { receiver } : socketMode ? { socketMode: true, appToken: config.SLACK_APP_TOKEN } : { signingSecret: 'worker-role-receives-no-slack-requests' }),
  });

  // Agenda polls as often as the finest schedule needs (the approval sweep), at most every 5 s,
  // at least every 1 s.
  const agenda = createAgenda({ db: mongo.client.db(mongo.dbName), logger, processEveryMs: Math.max(1000, Math.min(5000, config.ORCH_APPROVAL_SWEEP)) });
  const ctx: AppContext = { config, logger, metrics, mongo, models, neo4j, slack: app.client, lifecycle, agenda, events: new EventBus(), integrations };
  await seedAdmins(ctx);
  await registerJobs(ctx);
  const ingest = createIngest(ctx);
  await setupWorkflows(ctx);

  let slackOk: { at: number; error: string | null } = { at: 0, error: null };
  const checks: Record<string, Check> = {
    mongodb: () => pingMongo(mongo.conn),
    slack: async () => {
      // auth.test is cached briefly so frequent probes don't spend Slack's rate limit.
      if (Date.now() - slackOk.at > 15_000) {
        try {
          await app.client.auth.test();
          slackOk = { at: Date.now(), error: null };
        } catch (err) {
          slackOk = { at: Date.now(), error: (err as Error).message };
        }
      }
      if (slackOk.error) throw new Error(`auth.test failed: ${slackOk.error}`);
    },
  };
  if (neo4j) checks.neo4j = async () => void (await neo4j.verifyConnectivity());

  expressApp.use(healthRouter({ metrics, checks, serveMetrics: config.ORCH_METRICS_PORT === undefined, info: () => ({ mode: config.ORCH_MODE, role: config.ORCH_ROLE }) }));
  const api = express.Router();
  api.use(authenticateApi({ config, models, logger, metrics }));
  api.use(express.json({ limit: '1mb' }));
  // After the body parser: the audit context must not be lost in its stream callbacks.
  api.use(guardWrites({ config, logger }));
  if (web) {
    // HubSpot webhooks: raw body (the signature covers the exact bytes), stored before the 200.
    expressApp.post(WEBHOOK_PATH, ...ingest.webhookHandlers);
    registerListeners(app, ctx, { replay: ingest.replay });
  }
  api.use(ingest.api);
  api.use(backtestApi(ctx));
  api.use(runsApi(ctx));
  api.use(reconcileApi(ctx));
  api.use(notFound);
  expressApp.use('/api', api);
  expressApp.use(notFound);
  expressApp.use(jsonErrors(logger));

  if (config.ORCH_ROLE !== 'web') {
    // Due units of work (debounced webhook events) are claimed from MongoDB, so any worker can take them.
    lifecycle.add({ name: 'ingest-poller', start: () => ingest.poller.start(), stop: () => ingest.poller.stop() });
  }
  if (config.ORCH_ROLE !== 'web') {
    // Agenda's stop() unlocks this worker's jobs so another instance can take them at once.
    lifecycle.add({
      name: 'agenda',
      start: () => agenda.start(),
      stop: async () => {
        await agenda.drain(Math.max(1000, config.ORCH_SHUTDOWN_TIMEOUT_MS - 3000)).catch(() => undefined);
        await agenda.stop();
      },
    });
  }
  const server = http.createServer(expressApp);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, () => resolve());
  });
  lifecycle.add({
    name: 'http',
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  });
  if (socketMode && web) {
    await app.start();
    lifecycle.add({ name: 'slack-socket-mode', stop: async () => void (await app.stop()) });
  }
  if (config.ORCH_METRICS_PORT !== undefined) {
    // /metrics on its own port (ORCH_METRICS_HOST), kept off the public one.
    const metricsServer = await startMetricsServer(metrics, config.ORCH_METRICS_PORT, config.ORCH_METRICS_HOST);
    lifecycle.add({ name: 'metrics-http', stop: metricsServer.stop });
  }
  await lifecycle.start();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info('orch started', { port, mode: config.ORCH_MODE, role: config.ORCH_ROLE, slack: socketMode ? 'socket-mode' : 'http' });
  return { ctx, port: () => port, stop: () => lifecycle.stop(config.ORCH_SHUTDOWN_TIMEOUT_MS) };
}
