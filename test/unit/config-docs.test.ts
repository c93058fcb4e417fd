import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig, type ConfigError } from '../../src/config.ts';
import { describeConfig, docProblems, EXAMPLE_VALUES, renderConfigDoc, renderEnvExample } from '../../src/config-docs.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const REGENERATE = 'run `npm run docs:config` and commit .env.example and docs/configuration.md';

/** Keys assigned in a .env-style file (`KEY=...` lines). */
function envKeys(text: string): string[] {
  return text.split('\n').flatMap((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1] ?? []);
}

describe('configuration docs cannot drift from the schema', () => {
  it('when a key is added to the schema, then it has a doc line in CONFIG_HINTS (and no doc line is left for a removed key)', () => {
    const { undocumented, stale } = docProblems();
    expect(undocumented, 'keys without a doc line in CONFIG_HINTS (src/config.ts)').toEqual([]);
    expect(stale, 'CONFIG_HINTS entries for keys the schema no longer has').toEqual([]);
  });

  it('when .env.example is read, then it assigns every schema key and nothing else, and is what the generator writes', () => {
    const keys = envKeys(read('.env.example'));
    const schemaKeys = Object.keys(configSchema.shape);
    expect(schemaKeys.filter((k) => !keys.includes(k)), `keys missing from .env.example: ${REGENERATE}`).toEqual([]);
    expect(keys.filter((k) => !schemaKeys.includes(k)), `.env.example keys orch does not read: ${REGENERATE}`).toEqual([]);
    expect(read('.env.example') === renderEnvExample(), `.env.example is out of date: ${REGENERATE}`).toBe(true);
  });

  it('when docs/configuration.md is read, then every schema key has its row and the file is what the generator writes', () => {
    const doc = read('docs/configuration.md');
    const missing = Object.keys(configSchema.shape).filter((k) => !doc.includes(`| \`${k}\` |`));
    expect(missing, `keys missing from docs/configuration.md: ${REGENERATE}`).toEqual([]);
    expect(doc === renderConfigDoc(), `docs/configuration.md is out of date: ${REGENERATE}`).toBe(true);
  });

  it('when README is read, then it links the generated reference, and its short table names only real keys and every required one', () => {
    const readme = read('README.md');
    expect(readme).toContain('docs/configuration.md');
    const block = /<!-- config:start -->([\s\S]*?)<!-- config:end -->/.exec(readme)?.[1] ?? '';
    const listed = [...block.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1] as string);
    const keys = Object.keys(configSchema.shape);
    expect(listed.filter((k) => !keys.includes(k)), 'README config table names keys the schema does not have').toEqual([]);
    const required = describeConfig().filter((d) => d.required).map((d) => d.key);
    expect(required.filter((k) => !listed.includes(k)), 'required keys missing from the README config table (between <!-- config:start --> and <!-- config:end -->)').toEqual([]);
  });

  it('when defaults are rendered, then durations read like a user writes them', () => {
    const byKey = Object.fromEntries(describeConfig().map((d) => [d.key, d]));
    expect(byKey.ORCH_APPROVAL_TTL?.defaultText).toBe('3d');
    expect(byKey.ORCH_APPROVAL_REMIND?.defaultText).toBe('4h');
    expect(byKey.PORT?.defaultText).toBe('3000');
    expect(byKey.PUBLIC_URL?.required).toBe(true);
  });
});

describe('placeholders from .env.example are refused', () => {
  const filled = {
    PUBLIC_URL: 'https://orch.acme-ops.com',
    SLACK_BOT_TOKEN: 'xoxb-1234-5678-abcdef',
    SLACK_SIGNING_SECRET: 'a1b2c3d4e5f6',
    HUBSPOT_ACCESS_TOKEN: 'pat-na1-0000-1111',
    HUBSPOT_CLIENT_SECRET: 'hs-secret-0000',
    ORCH_API_TOKEN: '0123456789abcdef0123',
  };
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('when .env.example is copied with only the secrets filled in, then PUBLIC_URL and SLACK_BOT_TOKEN are named as placeholders', () => {
    const problems = problemsOf({ ...filled, PUBLIC_URL: EXAMPLE_VALUES.PUBLIC_URL as string, SLACK_BOT_TOKEN: EXAMPLE_VALUES.SLACK_BOT_TOKEN as string });
    expect(problems.some((p) => p.startsWith('PUBLIC_URL is still the placeholder'))).toBe(true);
    expect(problems.some((p) => p.startsWith('SLACK_BOT_TOKEN is still a placeholder') && p.includes('Bot User OAuth Token'))).toBe(true);
  });

  it('when a secret reads like "your-token" or "<secret>", then it is refused; real-looking values pass', () => {
    expect(problemsOf({ ...filled, HUBSPOT_CLIENT_SECRET: '<client secret>' })).toEqual([expect.stringContaining('HUBSPOT_CLIENT_SECRET is still a placeholder')]);
    expect(problemsOf({ ...filled, ORCH_API_TOKEN: 'your-long-random-token-here' })).toEqual([expect.stringContaining('ORCH_API_TOKEN is still a placeholder')]);
    expect(problemsOf(filled)).toEqual([]);
  });
});
