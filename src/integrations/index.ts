import type { Driver } from 'neo4j-driver';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { createAirtable, type AirtableAdapter } from './airtable.ts';
import { createHubSpot, type HubSpotAdapter } from './hubspot.ts';
import { createLineage, type Lineage } from './lineage.ts';
import { createNotion, type NotionAdapter } from './notion.ts';
import { createOpenAI, type OpenAIAdapter } from './openai.ts';
import { createGoogleCalendar, type CalendarAdapter } from './google-calendar.ts';
import type { Health } from './resilience.ts';

export { IntegrationError, isIntegrationError, isCircuitOpen } from './errors.ts';
export type { AirtableAdapter, AirtableRecord } from './airtable.ts';
export type { HubSpotAdapter, HubSpotObject } from './hubspot.ts';
export type { Lineage, Explanation } from './lineage.ts';
export type { NotionAdapter, NotionSop } from './notion.ts';
export type { OpenAIAdapter, CompanyEnrichment } from './openai.ts';
export type { CalendarAdapter, CalendarEvent } from './google-calendar.ts';

/**
 * The SaaS adapters, created once at the edge. `null` = not configured: the feature that needs it
 * says "not configured" (and the workflow takes its fallback) instead of failing.
 * HubSpot is always configured (HUBSPOT_ACCESS_TOKEN is required); lineage is a no-op without Neo4j.
 */
export interface Integrations {
  hubspot: HubSpotAdapter;
  airtable: AirtableAdapter | null;
  notion: NotionAdapter | null;
  openai: OpenAIAdapter | null;
  /** Google Calendar (kickoff events, free/busy); null without GOOGLE_SERVICE_ACCOUNT_KEY + GOOGLE_CALENDAR_ID. */
  calendar: CalendarAdapter | null;
  lineage: Lineage;
  /** ok / degraded / not_configured per service, for /orch status and App Home. */
  health(): Promise<Record<'hubspot' | 'airtable' | 'notion' | 'openai' | 'neo4j', Health | 'not_configured'>>;
  stop(): Promise<void>;
}

export function createIntegrations(config: Config, logger: Logger, metrics: Pick<Metrics, 'registry'>, neo4jDriver: Driver | null): Integrations {
  const hubspot = createHubSpot({
    accessToken: config.HUBSPOT_ACCESS_TOKEN,
    basePath: config.HUBSPOT_API_URL,
    ratePer10s: config.HUBSPOT_RATE_LIMIT,
    logger,
    metrics,
  });
  if (!hubspot) throw new Error('HUBSPOT_ACCESS_TOKEN is required');
  const airtable = createAirtable({ apiKey: config.AIRTABLE_API_KEY, baseId: config.AIRTABLE_BASE_ID, endpointUrl: config.AIRTABLE_API_URL, ratePerSecond: config.AIRTABLE_RATE_LIMIT, logger, metrics });
  const notion = createNotion({ token: config.NOTION_TOKEN, baseUrl: config.NOTION_API_URL, sopDatabaseId: config.NOTION_SOP_DATABASE_ID, logger, metrics });
  const openai = createOpenAI({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL, logger, metrics });
  const calendar = createGoogleCalendar({ serviceAccountKey: config.GOOGLE_SERVICE_ACCOUNT_KEY, calendarId: config.GOOGLE_CALENDAR_ID, rootUrl: config.GOOGLE_API_URL, logger, metrics });
  const lineage = createLineage(neo4jDriver, logger);
  for (const [name, adapter] of Object.entries({ airtable, notion, openai, calendar })) {
    if (!adapter) logger.info(`${name} is not configured: features that need it say so and fall back`);
  }
  const of = async (a: { health(): Promise<Health> } | null) => (a ? a.health() : 'not_configured');
  return {
    hubspot,
    airtable,
    notion,
    openai,
    calendar,
    lineage,
    health: async () => ({
      hubspot: await hubspot.health(),
      airtable: await of(airtable),
      notion: await of(notion),
      openai: await of(openai),
      neo4j: lineage.enabled ? await lineage.health() : 'not_configured',
    }),
    stop: async () => {
      await Promise.all([hubspot.stop(), airtable?.stop(), notion?.stop(), openai?.stop(), calendar?.stop()]);
    },
  };
}
