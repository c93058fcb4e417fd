import { SlackFake } from './slack.ts';
import { HubSpotFake } from './hubspot.ts';

export { SlackFake } from './slack.ts';
export { HubSpotFake } from './hubspot.ts';
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
  stop(): Promise<void>;
  /** Env vars pointing the app at these fakes, with dummy credentials. */
  env(): Record<string, string>;
  /** reset() on every fake. */
  reset(): void;
}

export async function startFakes(): Promise<Fakes> {
  const [slack, hubspot] = await Promise.all([new SlackFake().start(), new HubSpotFake().start()]);
  const all = [slack, hubspot];
  return {
    slack,
    hubspot,
    stop: async () => void (await Promise.all(all.map((f) => f.stop()))),
    reset: () => all.forEach((f) => f.reset()),
    env: () => ({
      SLACK_API_URL: `${slack.url}/api/`,
      HUBSPOT_API_URL: hubspot.url,
      SLACK_BOT_TOKEN: FAKE_CREDENTIALS.SLACK_BOT_TOKEN,
      HUBSPOT_ACCESS_TOKEN: FAKE_CREDENTIALS.HUBSPOT_ACCESS_TOKEN,
    }),
  };
}
