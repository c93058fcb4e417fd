import { z } from 'zod';
import { parseWhen } from './when.ts';
import type { WhySubject } from './explain-sources.ts';

/**
 * `/orch ask`: the FIXED catalogue of parameterised questions orch can answer. Neither the model
 * nor the parser ever writes a query: they pick one id from here and fill its parameters, which
 * are validated below and then bound into prepared Cypher / MongoDB filters (ask.ts).
 */
export const QUERY_IDS = ['who_approved', 'why_approved', 'what_changed', 'approvals_by', 'waiting_for_me', 'policy_on'] as const;
export type QueryId = (typeof QUERY_IDS)[number];

export const CATALOGUE: Record<QueryId, { description: string; example: string; params: string }> = {
  who_approved: { description: 'who decided the approvals of a run or a HubSpot deal/company/contact', example: 'who approved deal 4242?', params: 'subjectType, subjectId' },
  why_approved: { description: 'why it was approved: approver, reason, the policy version in force and the rules that matched', example: 'why was company 9101 approved?', params: 'subjectType, subjectId' },
  what_changed: { description: 'the changes orch proposed and the writes it made on a record, optionally since a date', example: 'what changed on company 9101 since 2026-11-01?', params: 'subjectType, subjectId, since?' },
  approvals_by: { description: 'the approvals one person decided since a date', example: 'which approvals did @alice make since monday?', params: 'user, since?' },
  waiting_for_me: { description: 'pending approvals the asker can decide and exceptions assigned to them', example: 'what is waiting for me?', params: '(none)' },
  policy_on: { description: 'which version of a policy was in force on a date', example: 'which policy applied to company-intake on 2026-11-22?', params: 'policyName, date?' },
};

/** What a question maps to, after validation. */
export type AskQuery =
  | { id: 'who_approved' | 'why_approved'; subject: WhySubject }
  | { id: 'what_changed'; subject: WhySubject; since: Date | null }
  | { id: 'approvals_by'; user: string; since: Date }
  | { id: 'waiting_for_me' }
  | { id: 'policy_on'; policyName: string; at: Date };

/** The model's answer: a catalogue id and flat, nullable parameters (OpenAI strict mode wants every key). */
export const choiceSchema = z.strictObject({
  query: z.enum([...QUERY_IDS, 'none']),
  subjectType: z.enum(['run', 'deal', 'company', 'contact']).nullable(),
  subjectId: z.string().max(80).nullable(),
  user: z.string().max(40).nullable(),
  since: z.string().max(40).nullable(),
  policyName: z.string().max(80).nullable(),
  date: z.string().max(40).nullable(),
});
export type Choice = z.infer<typeof choiceSchema>;

const nullable = (t: Record<string, unknown>) => ({ ...t, type: [t.type as string, 'null'] });
/** choiceSchema as the strict JSON schema sent to OpenAI (structured outputs). */
export const CHOICE_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['query', 'subjectType', 'subjectId', 'user', 'since', 'policyName', 'date'],
  properties: {
    query: { type: 'string', enum: [...QUERY_IDS, 'none'], description: 'The one catalogue query that answers the question; none if no query fits' },
    subjectType: { ...nullable({ type: 'string' }), enum: ['run', 'deal', 'company', 'contact', null], description: 'What the question is about' },
    subjectId: nullable({ type: 'string', description: 'A run id (run_…) or a HubSpot record id' }),
    user: nullable({ type: 'string', description: 'A Slack user id (U…); the asker for "me"' }),
    since: nullable({ type: 'string', description: 'YYYY-MM-DD, or 3d / 12h / 2w ago' }),
    policyName: nullable({ type: 'string', description: 'A policy name, e.g. company-intake' }),
    date: nullable({ type: 'string', description: 'YYYY-MM-DD' }),
  },
} as const;

const ID = /^[\w-]{1,80}$/;
const USER = /^[UW][A-Z0-9]{2,20}$/;
const DEFAULT_SINCE_MS = 30 * 86_400_000;

/** Turns a choice (from the model or the parser) into a validated query; null when it does not hold up. */
export function toQuery(c: Choice, ctx: { asker: string; now: Date }): AskQuery | null {
  const subject = c.subjectType && c.subjectId && ID.test(c.subjectId) ? ({ kind: c.subjectType, id: c.subjectId } as WhySubject) : null;
  const since = c.since ? parseWhen(c.since, ctx.now, 'start') : null;
  if (c.since && !since) return null;
  switch (c.query) {
    case 'who_approved':
    case 'why_approved':
      return subject ? { id: c.query, subject } : null;
    case 'what_changed':
      return subject ? { id: 'what_changed', subject, since } : null;
    case 'approvals_by': {
      const user = c.user === 'me' ? ctx.asker : c.user;
      return user && USER.test(user) ? { id: 'approvals_by', user, since: since ?? new Date(ctx.now.getTime() - DEFAULT_SINCE_MS) } : null;
    }
    case 'waiting_for_me':
      return { id: 'waiting_for_me' };
    case 'policy_on': {
      const at = c.date ? parseWhen(c.date, ctx.now, 'end') : ctx.now;
      return c.policyName && /^[\w.-]{1,80}$/.test(c.policyName) && at ? { id: 'policy_on', policyName: c.policyName, at } : null;
    }
    default:
      return null;
  }
}

const EMPTY: Choice = { query: 'none', subjectType: null, subjectId: null, user: null, since: null, policyName: null, date: null };
const SUBJECT = String.raw`(?:(deal|company|contact)\s+#?([\w-]{1,80})|(?:run\s+)?(run_[\w-]{1,76}))`;
const SINCE = String.raw`(?:\s+since\s+(.+?))?`;
const PATTERNS: { re: RegExp; build: (m: RegExpExecArray) => Partial<Choice> }[] = [
  { re: new RegExp(String.raw`^who\s+(?:approved|decided|signed off)\s+(?:on\s+)?(?:the\s+)?${SUBJECT}$`), build: (m) => ({ query: 'who_approved', ...subjectOf(m, 1) }) },
  { re: new RegExp(String.raw`^why\s+(?:was|did|is)\s+(?:the\s+)?${SUBJECT}\s+(?:get\s+)?approved$`), build: (m) => ({ query: 'why_approved', ...subjectOf(m, 1) }) },
  { re: new RegExp(String.raw`^what\s+changed\s+(?:on|in|for|about)\s+(?:the\s+)?${SUBJECT}${SINCE}$`), build: (m) => ({ query: 'what_changed', ...subjectOf(m, 1), since: m[4] ?? null }) },
  { re: new RegExp(String.raw`^(?:which|what)\s+approvals\s+(?:did|has|have)\s+(\S+)\s+(?:make|made|decide|decided|approve|approved|do|done)${SINCE}$`), build: (m) => ({ query: 'approvals_by', user: userOf(m[1] ?? ''), since: m[2] ?? null }) },
  { re: /^(?:what(?:'s|’s|\s+is)|anything)\s+(?:waiting|pending)\s+(?:for|on)\s+me$|^what\s+needs\s+my\s+(?:approval|attention|decision)$/, build: () => ({ query: 'waiting_for_me' }) },
  { re: /^(?:which|what)\s+(?:version\s+of\s+(?:the\s+)?)?policy\s+(?:applied|was in force|applied to|was used for)?\s*(?:to\s+|for\s+)?([\w.-]{1,80})(?:\s+(?:on|at)\s+(.+))?$/, build: (m) => ({ query: 'policy_on', policyName: m[1] ?? null, date: m[2] ?? null }) },
];

function subjectOf(m: RegExpExecArray, at: number): Pick<Choice, 'subjectType' | 'subjectId'> {
  if (m[at + 2]) return { subjectType: 'run', subjectId: m[at + 2] as string };
  return { subjectType: (m[at] as Choice['subjectType']) ?? null, subjectId: m[at + 1] ?? null };
}

/** `<@U123|alice>` (what Slack sends with escaping on), `<@U123>`, `@U123`, `me`, `i`. */
function userOf(word: string): string | null {
  if (/^(me|i)$/i.test(word)) return 'me';
  const m = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/i.exec(word) ?? /^@?([UW][A-Z0-9]{2,20})$/i.exec(word);
  return m ? (m[1] as string).toUpperCase() : null;
}

/** The deterministic parser (no OpenAI): the common phrasings of each catalogue question. */
export function parseQuestion(question: string): Choice {
  // Mentions keep their case (user ids are upper case); everything else is compared in lower case.
  const q = question.trim().replace(/[?!.\s]+$/, '').replace(/\s+/g, ' ').replace(/(<@[^>]+>)|([^<]+)/g, (_s, mention: string | undefined, rest: string | undefined) => mention ?? (rest ?? '').toLowerCase());
  for (const p of PATTERNS) {
    const m = p.re.exec(q);
    if (m) return { ...EMPTY, ...p.build(m) };
  }
  return EMPTY;
}
