import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { checkSlackToken } from '../startup-checks.ts';
import type { TriggerTable } from '../../workflows/triggers.ts';
import { setupAirtable, type AirtableSetupResult } from './airtable.ts';
import { setupHubSpotProperties, type HubSpotSetupResult } from './hubspot.ts';
import { checkNotion, type NotionSetupResult } from './notion.ts';
import { manifestFor, webhookText } from './instructions.ts';
import { AIRTABLE_TABLES, HUBSPOT_PROPERTIES } from './requirements.ts';

export interface SetupOptions {
  config: Config;
  logger: Logger;
  apply: boolean;
  manifestText: string;
  triggers: TriggerTable;
}

export interface SetupReport {
  /** true when every configured service answered and nothing is missing (or it was all created). */
  ok: boolean;
  slack: { ok: boolean; detail: string };
  hubspot: HubSpotSetupResult;
  airtable: AirtableSetupResult | null;
  notion: NotionSetupResult | null;
  text: string;
}

async function slackCheck(config: Config, logger: Logger): Promise<SetupReport['slack']> {
  try {
    const id = await checkSlackToken(config, logger);
    return id ? { ok: true, detail: `token accepted (bot user ${id.botUserId}${id.team ? ` in ${id.team}` : ''})` } : { ok: false, detail: 'Slack could not be reached to check SLACK_BOT_TOKEN' };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

const mark = { exists: 'ok     ', missing: 'MISSING', created: 'CREATED', failed: 'FAILED ' } as const;

function hubspotLines(r: HubSpotSetupResult, apply: boolean): string[] {
  if (r.problem) return [`HubSpot    ${r.problem}`];
  return [
    'HubSpot    custom properties orch writes:',
    ...r.properties.map((p) => `  ${mark[p.state]} ${p.spec.objectType}.${p.spec.name} (single-line text)${p.state === 'missing' && !apply ? ' → created by --apply' : ''}${p.error ? `: ${p.error}` : ''}`),
  ];
}

function airtableLines(r: AirtableSetupResult | null, config: Config, apply: boolean): string[] {
  if (!r) return ['Airtable   not configured (AIRTABLE_API_KEY, AIRTABLE_BASE_ID): mirror features say "not configured"'];
  if (r.problem) return [`Airtable   ${r.problem}`];
  return [
    `Airtable   base ${config.AIRTABLE_BASE_ID}:`,
    ...r.tables.map((t) => {
      const detail = t.state === 'missing' ? `table missing (${t.missingFields.length} fields)${apply ? '' : ' → created by --apply'}` : t.missingFields.length ? `missing fields: ${t.missingFields.join(', ')}${apply ? '' : ' → added by --apply'}` : t.addedFields.length ? `added: ${t.addedFields.join(', ')}` : 'all fields present';
      const state = t.state === 'exists' && t.missingFields.length ? 'missing' : t.state;
      return `  ${mark[state]} ${t.table}: ${detail}${t.error ? `: ${t.error}` : ''}`;
    }),
  ];
}

function notionLines(r: NotionSetupResult | null): string[] {
  if (!r) return ['Notion     not configured (NOTION_TOKEN): no SOP links, checklists or kickoff pages'];
  if (r.problem) return [`Notion     ${r.problem}`];
  return ['Notion     token accepted', ...r.databases.map((d) => `  ${d.ok ? mark.exists : mark.failed} ${d.key} ${d.id}: ${d.detail}`)];
}

function incomplete(h: HubSpotSetupResult, a: AirtableSetupResult | null): boolean {
  return h.properties.some((p) => p.state === 'missing') || Boolean(a?.tables.some((t) => t.state === 'missing' || t.missingFields.length > 0));
}

/** Checks each configured SaaS; with `apply` creates what is missing; returns the report to print. */
export async function runSetup(opts: SetupOptions): Promise<SetupReport> {
  const { config, apply } = opts;
  const slack = await slackCheck(config, opts.logger);
  const hubspot = await setupHubSpotProperties({ accessToken: config.HUBSPOT_ACCESS_TOKEN, basePath: config.HUBSPOT_API_URL, apply, specs: HUBSPOT_PROPERTIES });
  const airtable =
    config.AIRTABLE_API_KEY && config.AIRTABLE_BASE_ID ? await setupAirtable({ apiKey: config.AIRTABLE_API_KEY, baseId: config.AIRTABLE_BASE_ID, apiUrl: config.AIRTABLE_API_URL, apply, specs: AIRTABLE_TABLES }) : null;
  const notion = config.NOTION_TOKEN
    ? await checkNotion({ token: config.NOTION_TOKEN, baseUrl: config.NOTION_API_URL, databases: { NOTION_SOP_DATABASE_ID: config.NOTION_SOP_DATABASE_ID, NOTION_CHECKLIST_DATABASE_ID: config.NOTION_CHECKLIST_DATABASE_ID, NOTION_KICKOFF_DATABASE_ID: config.NOTION_KICKOFF_DATABASE_ID } })
    : null;
  const missing = incomplete(hubspot, airtable);
  const servicesOk = hubspot.ok && !hubspot.problem && (airtable === null || (airtable.ok && !airtable.problem)) && (notion === null || (notion.ok && !notion.problem));
  const ok = slack.ok && servicesOk && !missing;
  const text = [
    apply ? 'orch setup --apply: creating what is missing' : 'orch setup (dry run: nothing is changed; `npm run setup -- --apply` creates what is missing)',
    '',
    `Slack      ${slack.detail}`,
    ...hubspotLines(hubspot, apply),
    ...airtableLines(airtable, config, apply),
    ...notionLines(notion),
    `OpenAI     ${config.OPENAI_API_KEY ? 'configured' : 'not configured (OPENAI_API_KEY): deterministic enrichment'}`,
    '',
    ok ? 'Everything orch needs exists.' : missing && !apply ? 'Some things are missing: run `npm run setup -- --apply`.' : 'Some checks failed: see the lines above.',
    '',
    instructionsText(opts.manifestText, config.PUBLIC_URL, opts.triggers, Boolean(config.SLACK_APP_TOKEN)),
  ].join('\n');
  return { ok, slack, hubspot, airtable, notion, text };
}

/** What to paste: the Slack manifest for PUBLIC_URL and the webhook subscriptions (also printed before the tokens exist). */
export function instructionsText(manifestText: string, publicUrl: string, triggers: TriggerTable, socketMode = false): string {
  return [
    `== Slack app manifest${socketMode ? ' (Socket Mode: no URLs; create an app-level token with connections:write for SLACK_APP_TOKEN)' : ''} (api.slack.com/apps > Create New App > From an app manifest, or App Manifest of your app) ==`,
    manifestFor(manifestText, publicUrl, socketMode).trimEnd(),
    '',
    '== HubSpot webhooks ==',
    webhookText(triggers, publicUrl),
    '',
  ].join('\n');
}
