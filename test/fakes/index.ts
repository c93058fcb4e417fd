import { generateKeyPairSync } from 'node:crypto';
import { SlackFake } from './slack.ts';
import { HubSpotFake } from './hubspot.ts';
import { AirtableFake } from './airtable.ts';
import { NotionFake } from './notion.ts';
import { OpenAIFake } from './openai.ts';
import { GoogleCalendarFake } from './google.ts';

export { SlackFake } from './slack.ts';
export { HubSpotFake } from './hubspot.ts';
export { AirtableFake } from './airtable.ts';
export { NotionFake } from './notion.ts';
export { OpenAIFake } from './openai.ts';
export { GoogleCalendarFake } from './google.ts';
export type { RecordedCall, Injection } from './base.ts';

/** Dummy credentials the fakes accept; shaped like the real ones so config validation passes. */
export const FAKE_CREDENTIALS = {
  SLACK_BOT_TOKEN: 'xoxb-fake-0000-bot-token-for-tests',
  HUBSPOT_ACCESS_TOKEN: 'pat-na1-fake-hubspot-access-token',
  AIRTABLE_API_KEY: 'patFAKEairtable.0000token',
  AIRTABLE_BASE_ID: 'appFAKEBASE000001',
  NOTION_TOKEN: 'ntn_fake_notion_token_0000',
  OPENAI_API_KEY: 'sk-fake-openai-key-0000',
};

export interface Fakes {
  slack: SlackFake;
  hubspot: HubSpotFake;
  airtable: AirtableFake;
  notion: NotionFake;
  openai: OpenAIFake;
  /** Not in env() by default: a test opts into the Google path with googleEnv(). */
  google: GoogleCalendarFake;
  stop(): Promise<void>;
  /** Env vars pointing the app at these fakes, with dummy credentials. */
  env(): Record<string, string>;
  /** reset() on every fake: recorded calls, injections, rate limits and state. */
  reset(): void;
  /** Env vars turning on the Google Calendar path against the fake (a throwaway service-account key). */
  googleEnv(calendarId?: string): Record<string, string>;
}

/** Starts the five SaaS fakes on random loopback ports. */
export async function startFakes(): Promise<Fakes> {
  const [slack, hubspot, airtable, notion, openai, google] = await Promise.all([
    new SlackFake().start(),
    new HubSpotFake().start(),
    new AirtableFake().start(),
    new NotionFake().start(),
    new OpenAIFake().start(),
    new GoogleCalendarFake().start(),
  ]);
  const all = [slack, hubspot, airtable, notion, openai, google];
  return {
    slack,
    hubspot,
    airtable,
    notion,
    openai,
    google,
    googleEnv: (calendarId = 'kickoffs@orch.test') => ({ GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify(fakeServiceAccountKey()), GOOGLE_CALENDAR_ID: calendarId, GOOGLE_API_URL: `${google.url}/` }),
    stop: async () => void (await Promise.all(all.map((f) => f.stop()))),
    reset: () => all.forEach((f) => f.reset()),
    env: () => ({
      ...FAKE_CREDENTIALS,
      SLACK_API_URL: `${slack.url}/api/`,
      HUBSPOT_API_URL: hubspot.url,
      AIRTABLE_API_URL: airtable.url,
      NOTION_API_URL: notion.url,
      OPENAI_BASE_URL: `${openai.url}/v1`,
    }),
  };
}

let serviceAccountKey: Record<string, string> | undefined;

/** A service-account key shaped like Google's, with a real RSA key so the client can sign its JWT. */
export function fakeServiceAccountKey(): Record<string, string> {
  if (!serviceAccountKey) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    serviceAccountKey = {
      type: 'service_account',
      project_id: 'orch-test',
      private_key_id: 'fakekey1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: 'orch@orch-test.iam.gserviceaccount.com',
      client_id: '1000000000000',
      token_uri: 'https://oauth2.googleapis.com/token',
    };
  }
  return serviceAccountKey;
}
