import { buildPolicyAsOf } from '../../blocks/policy.ts';
import { policyAsOf } from '../../src/services/policy-lookup.ts';
import { takeAsOf } from '../../src/services/when.ts';
import { UsageError, type Subcommand } from './types.ts';

export const policyCommand: Subcommand = {
  name: 'policy',
  usage: 'policy <name> [--as-of <date>]',
  summary: 'the policy version in force (or at a date): rules, thresholds, validity, author',
  role: 'viewer',
  async run({ ctx, args, now }) {
    const { rest, asOf, error } = takeAsOf(args, now);
    if (error) throw new UsageError(error);
    if (rest.length !== 1 || !/^[\w.-]{1,80}$/.test(rest[0] as string)) throw new UsageError('give one policy name, e.g. `/orch policy company-intake --as-of 2026-11-22`');
    const name = rest[0] as string;
    return buildPolicyAsOf(name, await policyAsOf(ctx, name, asOf ?? now));
  },
};
