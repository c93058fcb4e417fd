import { buildWhy } from '../../blocks/why.ts';
import { explain, type WhySubject } from '../../src/services/explain.ts';
import { takeAsOf } from '../../src/services/when.ts';
import { UsageError, type Subcommand } from './types.ts';

const KINDS = ['deal', 'company', 'contact'] as const;
const ID = /^[\w-]{1,80}$/;

/** `why <runId>` or `why deal|company|contact <HubSpot id>`; throws UsageError otherwise. */
export function parseWhySubject(words: string[]): WhySubject {
  const [first = '', second] = words;
  const kind = first.toLowerCase();
  if ((KINDS as readonly string[]).includes(kind) && words.length === 2 && ID.test(second ?? '')) return { kind: kind as WhySubject['kind'], id: second as string };
  if (words.length === 1 && ID.test(first) && !(KINDS as readonly string[]).includes(kind)) return { kind: 'run', id: first };
  if (kind === 'run' && words.length === 2 && ID.test(second ?? '')) return { kind: 'run', id: second as string };
  throw new UsageError('give a run id, or deal|company|contact and a HubSpot id, e.g. `/orch why company 9101 --as-of 2026-11-22`');
}

export const whyCommand: Subcommand = {
  name: 'why',
  usage: 'why <runId> | why deal|company|contact <id> [--as-of <date>]',
  summary: 'the story: events, runs, approvals and the policy version in force, writes, exceptions',
  role: 'viewer',
  async run({ ctx, args, now }) {
    const { rest, asOf, error } = takeAsOf(args, now);
    if (error) throw new UsageError(error);
    const story = await explain(ctx, parseWhySubject(rest), { asOf });
    return buildWhy(story);
  },
};
