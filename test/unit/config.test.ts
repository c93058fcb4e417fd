import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration } from '../../src/config.ts';

const valid = {
  PUBLIC_URL: 'https://orch.acme-ops.com',
  SLACK_BOT_TOKEN: 'xoxb-1-2',
  SLACK_SIGNING_SECRET: 'sig',
  HUBSPOT_ACCESS_TOKEN: 'pat-na1-x',
  HUBSPOT_CLIENT_SECRET: 'hs-secret',
  ORCH_API_TOKEN: '0123456789abcdef',
};

describe('config', () => {
  it('when every required variable is set, then defaults fill the rest', () => {
    const c = loadConfig(valid);
    expect(c.PORT).toBe(3000);
    expect(c.ORCH_MODE).toBe('dry-run');
    expect(c.ORCH_ROLE).toBe('all');
    expect(c.SLACK_API_URL).toBe('https://slack.com/api/');
    expect(c.ORCH_APPROVAL_TTL).toBe(72 * 3600_000);
  });

  it('when several variables are missing or invalid, then every one is listed with a hint', () => {
    let err: unknown;
    try {
      loadConfig({ PUBLIC_URL: 'not a url', SLACK_BOT_TOKEN: 'xoxp-user', ORCH_MODE: 'yolo', PORT: 'abc' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    for (const key of ['PUBLIC_URL is invalid', 'SLACK_BOT_TOKEN is invalid', 'ORCH_MODE is invalid', 'PORT is invalid', 'HUBSPOT_ACCESS_TOKEN is missing', 'HUBSPOT_CLIENT_SECRET is missing', 'ORCH_API_TOKEN is missing', 'SLACK_SIGNING_SECRET']) {
      expect(problems).toContain(key);
    }
    expect(problems).toContain('Bot User OAuth Token');
  });

  it('when Socket Mode is on, then the signing secret is optional', () => {
    const { SLACK_SIGNING_SECRET: _omit, ...rest } = valid;
    expect(loadConfig({ ...rest, SLACK_APP_TOKEN: 'xapp-1-abc' }).SLACK_APP_TOKEN).toBe('xapp-1-abc');
  });

  it('when a variable is an empty string, then it counts as unset', () => {
    expect(loadConfig({ ...valid, NEO4J_URI: '', ORCH_ADMINS: 'U1, U2,' }).NEO4J_URI).toBeUndefined();
    expect(loadConfig({ ...valid, ORCH_ADMINS: 'U1, U2,' }).ORCH_ADMINS).toEqual(['U1', 'U2']);
  });

  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('4h')).toBe(14_400_000);
    expect(() => parseDuration('4 hours')).toThrow();
  });
});
