import type { Driver } from 'neo4j-driver';
import type { WebClient } from '@slack/web-api';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { MongoHandles } from './db/connection.ts';
import type { Models } from './db/models/index.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Agenda } from 'agenda';
import type { EventBus } from './events.ts';
import type { Integrations } from './integrations/index.ts';

/** What every service, listener and job is given: clients are created once, at the edge. */
export interface AppContext {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  mongo: MongoHandles;
  models: Models;
  neo4j: Driver | null;
  slack: WebClient;
  lifecycle: Lifecycle;
  /** Scheduled and background jobs; only processed on ORCH_ROLE=all|worker. */
  agenda: Agenda;
  events: EventBus;
  /** SaaS adapters (HubSpot, Airtable, Notion, OpenAI) and Neo4j lineage; null = not configured. */
  integrations: Integrations;
}
