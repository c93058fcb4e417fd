import { Client } from '@hubspot/api-client';
import { WebClient, ErrorCode } from '@slack/web-api';
import type { Config } from './config.ts';
import { StartupError } from './db/connection.ts';
import type { Logger } from './logger.ts';
import { slackLogger } from './slack-logger.ts';

/**
 * Checks run once before orch starts serving. A value the platform refuses stops the start with one
 * line naming the variable and the fix; a platform that cannot be reached (an offline development
 * machine) is a warning, so `npm start` still reaches /health.
 */

/** Slack's answers that mean "this token is not a working bot token", with what to do about each. */
const REFUSED_TOKEN: Record<string, string> = {
  invalid_auth: 'copy the Bot User OAuth Token (xoxb-…) from your Slack app > OAuth & Permissions',
  not_authed: 'copy the Bot User OAuth Token (xoxb-…) from your Slack app > OAuth & Permissions',
  account_inactive: 'the workspace or bot user is deactivated: reinstall the app and copy the new Bot User OAuth Token',
  token_revoked: 'the app was uninstalled or the token revoked: reinstall the app (OAuth & Permissions > Install) and copy the new Bot User OAuth Token',
  token_expired: 'token rotation is on and this token expired: turn rotation off in the manifest (token_rotation_enabled: false) and copy the Bot User OAuth Token',
  not_allowed_token_type: 'this is not a bot token: copy the Bot User OAuth Token (xoxb-…), not a user or app-level token',
};

export interface SlackIdentity {
  botUserId: string;
  botId: string;
  team?: string;
}

/**
 * `auth.test` with the configured token, one attempt with a short timeout. Returns the bot's ids
 * (handed to Bolt, so it does not make its own unguarded call), or null when Slack was unreachable.
 */
export async function checkSlackToken(config: Pick<Config, 'SLACK_BOT_TOKEN' | 'SLACK_API_URL'>, logger: Logger, timeoutMs = 5000): Promise<SlackIdentity | null> {
  // The client's own failure lines stay quiet: the outcome is said once, below.
  const client = new WebClient(config.SLACK_BOT_TOKEN, { slackApiUrl: config.SLACK_API_URL, retryConfig: { retries: 0 }, timeout: timeoutMs, logger: quiet(slackLogger(logger)) });
  try {
    const r = await client.auth.test();
    return { botUserId: String(r.user_id ?? ''), botId: String(r.bot_id ?? ''), ...(r.team ? { team: String(r.team) } : {}) };
  } catch (err) {
    const e = err as { code?: string; data?: { error?: string }; message?: string };
    const slackError = e.code === ErrorCode.PlatformError ? e.data?.error : undefined;
    if (slackError) {
      const fix = REFUSED_TOKEN[slackError] ?? 'check the Bot User OAuth Token in your Slack app > OAuth & Permissions';
      throw new StartupError(`SLACK_BOT_TOKEN was refused by Slack (${slackError}): ${fix}.`);
    }
    logger.warn('Slack could not be reached to check SLACK_BOT_TOKEN; starting anyway (Slack features fail until it is reachable)', { slackApiUrl: config.SLACK_API_URL, error: e.message });
    return null;
  }
}

/**
 * One cheap CRM read with HUBSPOT_ACCESS_TOKEN (a company list of one, 5 s). A 401 stops the start
 * naming the variable; a missing scope (403) or an unreachable HubSpot is a warning.
 */
export async function checkHubSpotToken(config: Pick<Config, 'HUBSPOT_ACCESS_TOKEN' | 'HUBSPOT_API_URL'>, logger: Logger, timeoutMs = 5000): Promise<void> {
  const client = new Client({ accessToken: config.HUBSPOT_ACCESS_TOKEN, basePath: config.HUBSPOT_API_URL });
  let status: number;
  try {
    const res = await Promise.race([
      client.apiRequest({ method: 'GET', path: '/crm/v3/objects/companies?limit=1&archived=false' }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    status = res.status;
  } catch (err) {
    logger.warn('HubSpot could not be reached to check HUBSPOT_ACCESS_TOKEN; starting anyway', { hubspotApiUrl: config.HUBSPOT_API_URL, error: (err as Error).message });
    return;
  }
  if (status === 401) throw new StartupError('HUBSPOT_ACCESS_TOKEN was refused by HubSpot (401): copy the access token of your private app (HubSpot > Settings > Integrations > Private apps > your app > Access token).');
  if (status === 403) logger.warn('HUBSPOT_ACCESS_TOKEN may not read companies (403): give the private app the CRM scopes in README (HubSpot setup)');
}

/** A Slack logger that passes only errors on. */
function quiet(base: ReturnType<typeof slackLogger>): ReturnType<typeof slackLogger> {
  const none = () => undefined;
  return { ...base, debug: none, info: none, warn: none };
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Settings that work but are probably not what the user wants; each is logged once at warn. */
export function configWarnings(config: Pick<Config, 'PUBLIC_URL' | 'ORCH_MODE'>): string[] {
  const warnings: string[] = [];
  const url = new URL(config.PUBLIC_URL);
  const local = LOCAL_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost');
  if (url.protocol === 'http:' && !local) {
    warnings.push(`PUBLIC_URL is http:// (${url.origin}): Slack and HubSpot call only https URLs; put orch behind TLS (e.g. docker compose --profile https) and set PUBLIC_URL to the https address`);
  }
  return warnings;
}
