import { describe, expect, it } from 'vitest';
import { parseRunsArgs } from '../../bot/commands/runs.ts';
import { parseUserMention } from '../../bot/commands/role.ts';
import { suggest } from '../../bot/commands/registry.ts';
import { decodeCursor, encodeCursor } from '../../src/services/run-list.ts';
import '../../bot/commands/index.ts';

const now = new Date('2026-11-22T12:00:00Z');

describe('/orch argument parsing', () => {
  it('when runs gets status, workflow and --since in any order, then each is recognised', () => {
    expect(parseRunsArgs(['--since', '24h', 'company-intake', 'failed'], now)).toEqual({ status: 'FAILED', workflow: 'company-intake', sinceAt: now.getTime() - 86_400_000, sinceText: '24h' });
    expect(parseRunsArgs(['waiting'], now)).toEqual({ status: 'WAITING_APPROVAL' });
  });

  it('when runs gets a bad duration, an unknown option or too many words, then a usage error is thrown', () => {
    expect(() => parseRunsArgs(['--since', 'yesterday'], now)).toThrow(/duration/);
    expect(() => parseRunsArgs(['--all'], now)).toThrow(/unknown option/);
    expect(() => parseRunsArgs(['failed', 'a-b', 'c-d'], now)).toThrow(/unexpected/);
  });

  it('when a user is mentioned in any Slack form, then the id is extracted', () => {
    expect(parseUserMention('<@U123ABC|jane>')).toBe('U123ABC');
    expect(parseUserMention('<@W42XYZ>')).toBe('W42XYZ');
    expect(parseUserMention('U123ABC')).toBe('U123ABC');
    expect(parseUserMention('@jane')).toBeNull();
  });

  it('when a subcommand is mistyped, then the closest one is suggested, and nothing for gibberish', () => {
    expect(suggest('aprovals')).toBe('approvals');
    expect(suggest('stauts')).toBe('status');
    expect(suggest('xyzzyplugh')).toBeUndefined();
  });

  it('when a cursor round-trips, then it decodes to the same page; garbage decodes to null', () => {
    const c = { status: 'FAILED', t: 1, id: 'run_a', page: 2 };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor('not-a-cursor')).toBeNull();
  });
});
