import { SlackFake } from './slack.ts';
import { HubSpotFake } from './hubspot.ts';
import { AirtableFake } from './airtable.ts';
import { NotionFake } from './notion.ts';
import { OpenAIFake } from './openai.ts';

export { SlackFake } from './slack.ts';
export { HubSpotFake } from './hubspot.ts';
export { AirtableFake } from './airtable.ts';
export { NotionFake } from './notion.ts';
export { OpenAIFake } from './openai.ts';
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
  stop(): Promise<void>;
  /** Env vars pointing the app at these fakes, with dummy credentials. */
  env(): Record<string, string>;
  /** reset() on every fake: recorded calls, injections, rate limits and state. */
  reset(): void;
}

/** Starts the five SaaS fakes on random loopback ports. */
export async function startFakes(): Promise<Fakes> {
  const [slack, hubspot, airtable, notion, openai] = await Promise.all([
    new SlackFake().start(),
    new HubSpotFake().start(),
    new AirtableFake().start(),
    new NotionFake().start(),
    new OpenAIFake().start(),
  ]);
  const all = [slack, hubspot, airtable, notion, openai];
  return {
    slack,
    hubspot,
    airtable,
    notion,
    openai,
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
