import { z } from 'zod';
import { isPhoneRegion } from '../blocks/pii.ts';

/**
 * Every environment variable orch reads, parsed and validated once at start.
 * Libraries and services never read process.env: they get the parsed Config.
 * Each key has a one-line hint, printed when it is missing or invalid.
 */
const csv = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const optionalUrl = z.url().optional();
export const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration like 90s, 15m, 4h or 3d')
  .transform(parseDuration);

export const configSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z.url(),
    ORCH_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    ORCH_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
    MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional(),
    NEO4J_URI: z.string().regex(/^(neo4j|bolt)(\+s|\+ssc)?:\/\//, 'must start with bolt:// or neo4j://').optional(),
    NEO4J_USER: z.string().default('neo4j'),
    NEO4J_PASSWORD: z.string().default(''),
    SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token starting with xoxb-'),
    SLACK_SIGNING_SECRET: z.string().min(1).optional(),
    SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token starting with xapp-').optional(),
    SLACK_API_URL: z.url().default('https://slack.com/api/').transform((u) => (u.endsWith('/') ? u : `${u}/`)),
    HUBSPOT_ACCESS_TOKEN: z.string().min(1),
    HUBSPOT_CLIENT_SECRET: z.string().min(1),
    HUBSPOT_API_URL: z.url().default('https://api.hubapi.com').transform((u) => u.replace(/\/+$/, '')),
    HUBSPOT_RATE_LIMIT: z.coerce.number().int().positive().default(190),
    HUBSPOT_LEGACY_SIGNATURES: z.enum(['refuse', 'allow']).default('refuse'),
    AIRTABLE_API_KEY: z.string().min(1).optional(),
    AIRTABLE_BASE_ID: z.string().min(1).optional(),
    AIRTABLE_RATE_LIMIT: z.coerce.number().int().positive().default(5),
    AIRTABLE_API_URL: z.url().default('https://api.airtable.com').transform((u) => u.replace(/\/+$/, '')),
    NOTION_TOKEN: z.string().min(1).optional(),
    NOTION_API_URL: z.url().default('https://api.notion.com').transform((u) => u.replace(/\/+$/, '')),
    NOTION_SOP_DATABASE_ID: z.string().min(1).optional(),
    NOTION_CHECKLIST_DATABASE_ID: z.string().min(1).optional(),
    NOTION_KICKOFF_DATABASE_ID: z.string().min(1).optional(),
    GOOGLE_SERVICE_ACCOUNT_KEY: z.string().min(2).optional(),
    GOOGLE_CALENDAR_ID: z.string().min(1).optional(),
    GOOGLE_API_URL: z.url().default('https://www.googleapis.com/').transform((u) => (u.endsWith('/') ? u : `${u}/`)),
    OPENAI_API_KEY: z.string().min(1).optional(),
    OPENAI_BASE_URL: optionalUrl,
    OPENAI_MODEL: z.string().default('gpt-4o-mini'),
    ORCH_ADMINS: csv,
    ORCH_APPROVALS_CHANNEL: z.string().min(1).default('orch-approvals'),
    ORCH_ALERTS_CHANNEL: z.string().min(1).default('orch-alerts'),
    ORCH_API_TOKEN: z.string().min(16, 'at least 16 characters; generate one with `openssl rand -hex 24`'),
    ORCH_API_TOKEN_TTL: duration.default(90 * 86_400_000),
    ORCH_API_TOKEN_WRITES: z.enum(['refuse', 'legacy']).default('refuse'),
    ORCH_MODE: z.enum(['dry-run', 'live']).default('dry-run'),
    ORCH_ROLE: z.enum(['all', 'web', 'worker']).default('all'),
    ORCH_DEBOUNCE_MS: z.coerce.number().int().min(0).default(3000),
    ORCH_INGEST_POLL_MS: z.coerce.number().int().min(10).default(250),
    ORCH_INGEST_LEASE_MS: z.coerce.number().int().min(1000).default(60_000),
    ORCH_INGEST_MAX_WAIT_MS: z.coerce.number().int().min(0).default(30_000),
    ORCH_INGEST_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(5),
    ORCH_TRIGGERS_FILE: z.string().default('workflows/triggers.json'),
    ORCH_APPROVAL_REMIND: duration.default(4 * 3600_000),
    ORCH_APPROVAL_TTL: duration.default(72 * 3600_000),
    ORCH_APPROVAL_ESCALATE: duration.default(8 * 3600_000),
    ORCH_ESCALATION_CHANNEL: z.string().min(1).optional(),
    ORCH_RUN_LEASE: duration.default(60_000),
    ORCH_RUNS_POLL: duration.default(1000),
    ORCH_RUN_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(4),
    ORCH_STEP_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
    ORCH_DB_CHECK: z.enum(['on', 'off']).default('on'),
    ORCH_CHECKPOINTS: z.enum(['exit', 'async']).default('exit'),
    ORCH_INGEST_WRITERS: z.coerce.number().int().min(1).max(64).default(2),
    ORCH_APPROVAL_SWEEP: duration.default(60_000),
    ORCH_SLA: duration.default(15 * 60_000),
    ORCH_ALERT_DEDUP: duration.default(3600_000),
    ORCH_RECONCILE_CRON: z.string().default('0 2 * * *'),
    ORCH_TZ: z.string().default('UTC'),
    ORCH_PII_PROPERTIES: csv,
    ORCH_PHONE_REGION: z
      .string()
      .transform((v) => v.trim().toUpperCase())
      .refine(isPhoneRegion, 'a two-letter region libphonenumber-js knows, e.g. US, GB, DE')
      .default('US'),
    ORCH_KICKOFF_HOURS: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'working hours like 09:00-17:00').default('09:00-17:00'),
    ORCH_KICKOFF_DURATION: duration.default(30 * 60_000),
    ORCH_KICKOFF_LEAD: duration.default(86_400_000),
    ORCH_DATA_DIR: z.string().default('.data'),
    ORCH_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    ORCH_MONGO_RETRY_MS: z.coerce.number().int().min(0).default(30_000),
    ORCH_DB_SLOW_MS: z.coerce.number().int().min(0).default(1000),
    ORCH_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
    ORCH_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).optional(),
    ORCH_HOME_MAX_VIEWERS: z.coerce.number().int().min(1).max(1000).default(25),
    ORCH_HOME_PUBLISH_PER_MINUTE: z.coerce.number().int().min(1).max(1000).default(60),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  });

/** Rules across variables; checked even when single fields fail, so one run lists everything. */
function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
    problems.push(`SLACK_SIGNING_SECRET is missing: required unless SLACK_APP_TOKEN (Socket Mode) is set (${CONFIG_HINTS.SLACK_SIGNING_SECRET})`);
  }
  if (env.AIRTABLE_API_KEY && !env.AIRTABLE_BASE_ID) {
    problems.push(`AIRTABLE_BASE_ID is missing: required when AIRTABLE_API_KEY is set (${CONFIG_HINTS.AIRTABLE_BASE_ID})`);
  }
  return problems;
}

/** A host reserved for examples (RFC 2606) can never be where HubSpot and Slack reach orch. */
const EXAMPLE_HOST = /(^|\.)example\.(com|org|net)$/i;
/** What people leave in a copied .env: the bare prefix, ellipses, angle brackets, "your-...", "change-me". */
const PLACEHOLDER_TEXT = /^(xox[abp]-|xapp-|pat-|sk-)$|\.\.\.|…|^<.*>$|^your[-_ ]|change-?me/i;
const SECRET_KEYS = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'HUBSPOT_ACCESS_TOKEN', 'HUBSPOT_CLIENT_SECRET', 'AIRTABLE_API_KEY', 'NOTION_TOKEN', 'OPENAI_API_KEY', 'ORCH_API_TOKEN', 'NEO4J_PASSWORD'];

/** Values copied from .env.example (or obviously not filled in) are refused, naming the variable. */
function placeholderProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const url = env.PUBLIC_URL;
  if (url && URL.canParse(url) && EXAMPLE_HOST.test(new URL(url).hostname)) {
    problems.push(`PUBLIC_URL is still the placeholder ${url}: set it to the https URL HubSpot and Slack reach this app at`);
  }
  for (const key of SECRET_KEYS) {
    const v = env[key];
    if (v && PLACEHOLDER_TEXT.test(v)) problems.push(`${key} is still a placeholder (${CONFIG_HINTS[key] ?? 'set the real value'})`);
  }
  return problems;
}

export type Config = z.output<typeof configSchema>;

/** Hints printed next to a problem, so a new user knows where each value comes from. */
export const CONFIG_HINTS: Record<string, string> = {
  ORCH_METRICS_PORT: 'serve /metrics on this port instead of PORT (keep it off the public network, e.g. 9464 in docker compose); unset = /metrics on PORT',
  ORCH_METRICS_HOST: 'address the ORCH_METRICS_PORT listener binds to (e.g. 127.0.0.1 outside containers)',
  PORT: 'HTTP port for Slack requests (/slack/events), HubSpot webhooks, /health, /ready, /metrics and /api/*',
  NEO4J_USER: 'Neo4j user (with NEO4J_URI)',
  NEO4J_PASSWORD: 'Neo4j password (with NEO4J_URI)',
  SLACK_API_URL: 'Slack Web API base URL (tests point it at a fake)',
  HUBSPOT_API_URL: 'HubSpot API base URL (tests point it at a fake)',
  HUBSPOT_RATE_LIMIT: 'HubSpot requests per rolling 10 s orch allows itself, per instance (Professional/Enterprise private apps: 190)',
  HUBSPOT_LEGACY_SIGNATURES: 'refuse (default: only v3 signed webhooks are accepted) or allow (also v1/v2 signatures, which carry no timestamp and can be replayed; only for apps HubSpot still signs that way, see docs/security.md)',
  AIRTABLE_API_KEY: 'optional: Airtable personal access token (scopes data.records:read/write, schema.bases:read/write) for the mirror; unset = mirror features say "not configured"',
  AIRTABLE_API_URL: 'Airtable API base URL (tests point it at a fake)',
  AIRTABLE_RATE_LIMIT: 'Airtable requests per second orch allows itself per base, in any rolling second (Airtable allows 5)',
  NOTION_TOKEN: 'optional: Notion internal integration secret for SOP links; unset = no SOP link',
  NOTION_API_URL: 'Notion API base URL (tests point it at a fake)',
  OPENAI_API_KEY: 'optional: OpenAI key for enrichment; unset or failing = a deterministic fallback',
  OPENAI_BASE_URL: 'optional: OpenAI-compatible API base URL (default OpenAI)',
  OPENAI_MODEL: 'OpenAI model used for enrichment',
  ORCH_ADMINS: 'comma-separated Slack user ids made admins on first start, e.g. U0123ABCD,U0456EFGH (profile > ... > Copy member ID)',
  ORCH_APPROVALS_CHANNEL: 'Slack channel (name or id) for approval sheets',
  ORCH_ALERTS_CHANNEL: 'Slack channel (name or id) for alerts and reconciliation summaries',
  ORCH_APPROVAL_REMIND: 'remind admins about a waiting approval after this long',
  ORCH_APPROVAL_TTL: 'expire a waiting approval (the run is cancelled) after this long',
  ORCH_SLA: 'a run finished within this (approval wait excluded) meets the SLA KPI',
  ORCH_ALERT_DEDUP: 'the same alert sends at most one DM per window, with a count',
  ORCH_RECONCILE_CRON: 'nightly reconciliation schedule (cron, in ORCH_TZ)',
  ORCH_TZ: 'time zone of ORCH_RECONCILE_CRON and of kickoff slots (IANA name, e.g. Europe/Berlin)',
  ORCH_DATA_DIR: 'where the embedded development database keeps its files (only without MONGODB_URI)',
  ORCH_SHUTDOWN_TIMEOUT_MS: 'graceful shutdown budget on SIGTERM/SIGINT (ms)',
  ORCH_PII_PROPERTIES: 'comma-separated HubSpot properties masked in Slack like email, phone, mobilephone and fax (always masked), e.g. date_of_birth,hs_whatsapp_phone_number',
  ORCH_PHONE_REGION: 'region whose national phone numbers are found and masked in free text (libphonenumber-js, two letters; numbers written with + are found for any region) (default US)',
  LOG_LEVEL: 'error, warn, info, http, verbose, debug or silly; logs are JSON lines on stdout with secrets redacted',
  PUBLIC_URL: 'the https URL HubSpot and Slack reach this app at, e.g. https://orch.example.com',
  MONGODB_URI: 'e.g. mongodb://localhost:27017/orch (unset: an embedded development MongoDB)',
  NEO4J_URI: 'e.g. bolt://localhost:7687 (unset: lineage is off)',
  SLACK_BOT_TOKEN: 'Slack app > OAuth & Permissions > Bot User OAuth Token (xoxb-...)',
  SLACK_SIGNING_SECRET: 'Slack app > Basic Information > Signing Secret (required unless SLACK_APP_TOKEN is set)',
  SLACK_APP_TOKEN: 'Slack app > Basic Information > App-Level Tokens (xapp-..., scope connections:write)',
  HUBSPOT_ACCESS_TOKEN: 'HubSpot private app or OAuth access token',
  HUBSPOT_CLIENT_SECRET: 'HubSpot app > Auth > Client secret (signs webhooks)',
  ORCH_API_TOKEN: 'any long random string: the shared Bearer token for reading /api/* (writes need a personal token from /orch token create)',
  ORCH_API_TOKEN_TTL: 'personal API tokens (/orch token create) expire this long after creation (default 90d)',
  ORCH_API_TOKEN_WRITES: 'refuse (default: writes need a personal token) or legacy (for one release: ORCH_API_TOKEN may still write, with a deprecation warning per request)',
  ORCH_MODE: 'dry-run (default: show intended writes, perform none) or live',
  ORCH_ROLE: 'all (default), web (HTTP only) or worker (jobs and workflows only)',
  ORCH_MONGO_RETRY_MS: 'how long start-up keeps retrying an unreachable MongoDB before exiting 1 (default 30000)',
  ORCH_DB_SLOW_MS: 'database commands slower than this (ms) are logged at warn with command and collection (default 1000; 0 = off)',
  ORCH_RETENTION_DAYS: 'raw webhook batches and processed webhook events older than this many days are deleted nightly; quarantined/failed ones this long after they are resolved (default 30)',
  ORCH_AUDIT_RETENTION_DAYS: 'optional: audit log entries older than this many days are deleted nightly (unset = kept forever)',
  ORCH_HOME_MAX_VIEWERS: 'after a change, App Home is re-published for at most this many of the most recent viewers (others get it when they open the tab) (default 25)',
  ORCH_HOME_PUBLISH_PER_MINUTE: 'App Home views.publish calls per minute, on a Slack client of their own so sheets never wait behind Home (default 60)',
  AIRTABLE_BASE_ID: 'the appXXXXXXXX id of the base holding the Accounts table',
  NOTION_SOP_DATABASE_ID: 'optional: id of the Notion database listing SOPs (from its URL); unset = SOPs are found by workspace search',
  NOTION_CHECKLIST_DATABASE_ID: 'optional: Notion database for contact-role-mapping permission checklists (text properties Key, HubSpot Id, Role besides the title Name; one to-do per item); unset = the items go as text into the Contacts row',
  NOTION_KICKOFF_DATABASE_ID: 'optional: Notion database for deal-stage-kickoff pages (text properties Deal Id, Slot, Attendees besides the title Name); unset = no kickoff page',
  GOOGLE_SERVICE_ACCOUNT_KEY: 'optional: the Google service account JSON key (whole file) that books kickoffs; with GOOGLE_CALENDAR_ID it turns on Calendar events and free/busy; unset = an .ics invite in Slack',
  GOOGLE_CALENDAR_ID: 'optional: calendar id kickoff events are created in (e.g. a shared calendar the service account can write)',
  GOOGLE_API_URL: 'Google APIs root URL (default https://www.googleapis.com/; tests point it at a fake)',
  ORCH_KICKOFF_HOURS: 'working hours for kickoff slots, local to ORCH_TZ, HH:MM-HH:MM (default 09:00-17:00)',
  ORCH_KICKOFF_DURATION: 'length of a kickoff meeting, e.g. 30m or 1h (default 30m)',
  ORCH_KICKOFF_LEAD: 'earliest kickoff start after the deal is won, elapsed time, e.g. 1d or 4h (default 1d)',
  ORCH_RUN_LEASE: 'how long a worker owns a RUNNING run without renewing it (e.g. 60s); after that another instance retakes it',
  ORCH_RUNS_POLL: 'how often the workflow engine looks for PENDING runs and expired leases (e.g. 1s)',
  ORCH_RUN_CONCURRENCY: 'workflow runs executed at once per instance (1-50)',
  ORCH_CHECKPOINTS: 'when workflow checkpoints are saved: exit (default: when an invocation pauses, ends or fails; a crash re-runs the steps since, which are idempotent) or async (after every step, in the background; fewer steps re-run, more writes)',
  ORCH_STEP_RETRIES: 'retries of a workflow step on transient or rate-limited errors (backoff with jitter)',
  ORCH_APPROVAL_SWEEP: 'how often pending approvals are checked for reminders and expiry (e.g. 1m)',
  ORCH_APPROVAL_ESCALATE: 'an approval still waiting this long (between the reminder and the expiry) is escalated once to ORCH_ESCALATION_CHANNEL or the admins (default 8h)',
  ORCH_ESCALATION_CHANNEL: 'optional: channel (name or id) that escalated approvals are posted to; unset = a DM to each admin',
  ORCH_DEBOUNCE_MS: 'events for one object closer together than this become one unit of work (default 3000)',
  ORCH_INGEST_POLL_MS: 'how often due units of work are looked for (default 250)',
  ORCH_INGEST_LEASE_MS: 'a claimed unit not finished within this is retaken by another instance (default 60000)',
  ORCH_INGEST_MAX_WAIT_MS: 'a unit is processed at the latest this long after its first event, even if events keep coming (default 30000)',
  ORCH_INGEST_MAX_ATTEMPTS: 'enrichment attempts per unit before it is marked failed (default 5)',
  ORCH_DB_CHECK: 'on: before serving, check the database gives what orch relies on (MongoDB 6.0+, unique indexes, one winner of a conditional update) and refuse to start otherwise; off skips it (not recommended) (default on)',
  ORCH_INGEST_WRITERS: 'webhook batch groups written to MongoDB at once; requests arriving meanwhile are grouped (default 2, measured with bench:ingest)',
  ORCH_TRIGGERS_FILE: 'the trigger table mapping HubSpot events to workflows (default workflows/triggers.json)',
};

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses an environment-like record; throws ConfigError listing every problem at once. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings in .env files mean "unset", not "invalid".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  const cross = [...crossFieldProblems(cleaned), ...placeholderProblems(cleaned)];
  if (parsed.success && cross.length === 0) return parsed.data;
  const issues = parsed.success ? [] : parsed.error.issues;
  const problems = issues.map((issue) => {
    const key = String(issue.path[0] ?? '?');
    const missing = cleaned[key] === undefined;
    const hint = CONFIG_HINTS[key];
    const what = missing ? 'is missing' : `is invalid: ${issue.message}`;
    return `${key} ${what}${hint ? ` (${hint})` : ''}`;
  });
  throw new ConfigError([...problems, ...cross]);
}

export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** Values that must never reach a log line, whatever key they sit under. */
export function secretValues(c: Config): string[] {
  return [
    c.SLACK_BOT_TOKEN,
    c.SLACK_SIGNING_SECRET,
    c.SLACK_APP_TOKEN,
    c.HUBSPOT_ACCESS_TOKEN,
    c.HUBSPOT_CLIENT_SECRET,
    c.AIRTABLE_API_KEY,
    c.NOTION_TOKEN,
    c.OPENAI_API_KEY,
    c.GOOGLE_SERVICE_ACCOUNT_KEY,
    c.ORCH_API_TOKEN,
    c.NEO4J_PASSWORD,
  ].filter((v): v is string => typeof v === 'string' && v.length >= 6);
}
