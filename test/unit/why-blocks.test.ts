import { describe, expect, it } from 'vitest';
import { buildWhy, buildWhyModal, WHY_ACTION, WHY_ACTION_PATTERN } from '../../blocks/why.ts';
import { buildAskAnswer } from '../../blocks/ask.ts';
import { buildPolicyAsOf } from '../../blocks/policy.ts';
import { buildApprovalSheet } from '../../blocks/approval-sheet.ts';
import { buildExceptionCard } from '../../blocks/exception-card.ts';
import { SLACK_LIMITS } from '../../blocks/limits.ts';
import type { WhyStory } from '../../src/services/explain.ts';
import { parseQuestion, toQuery } from '../../src/services/ask-catalogue.ts';
import { parseWhen, takeAsOf } from '../../src/services/when.ts';
import { parseWhySubject } from '../../bot/commands/why.ts';
import { parseWhyValue } from '../../bot/actions/why.ts';

const HOSTILE = '<!channel> <!here> <@U123> <https://evil.example/login|Open in HubSpot> &amp;';
type AnyBlock = { type: string; text?: { text: string }; elements?: { text?: string; action_id?: string; value?: string }[]; accessory?: { action_id?: string; value?: string } };

function story(over: Partial<WhyStory> = {}): WhyStory {
  return {
    subject: { kind: 'company', id: '9101' },
    source: 'neo4j',
    asOf: null,
    events: [{ id: 'wev_1', eventId: '5001', subscriptionType: 'company.creation', propertyName: null, occurredAt: '2026-11-20T10:00:00.000Z' }],
    runs: [{ runId: 'run_1', workflowId: 'company-intake', status: 'COMPLETED', objectType: 'company', objectId: '9101', mode: 'live', startedAt: '2026-11-20T10:00:01.000Z', finishedAt: '2026-11-20T10:05:01.000Z', durationMs: 300_000, error: null }],
    approvals: [{ approvalId: 'apr_1', runId: 'run_1', title: HOSTILE, status: 'APPROVED', decision: 'approve', decidedBy: 'UADMIN1', decidedAt: '2026-11-20T10:04:00.000Z', reason: HOSTILE, requestedAt: '2026-11-20T10:01:00.000Z', sheet: { channel: 'C0APPROVALS', ts: '1764000000.000100' }, policy: { name: 'company-intake', version: 1, validFrom: '1970-01-01T00:00:00.000Z', validTo: '2026-11-25T00:00:00.000Z', createdBy: 'seed', matched: [{ id: 'regulated_industry', description: 'Regulated industry', level: 'HIGH' }], laterVersionAtDecision: null } }],
    writes: [{ runId: 'run_1', system: 'airtable', target: null, recordId: 'recA1', op: 'create', performed: true }],
    exceptions: [{ exceptionId: 'exc_1', type: 'field_drift', severity: 'medium', status: 'resolved', title: HOSTILE, firstSeenAt: '2026-11-21T00:00:00.000Z', resolvedAt: '2026-11-21T01:00:00.000Z', resolvedBy: 'UADMIN1', resolution: HOSTILE }],
    ...over,
  };
}

const texts = (blocks: unknown[]) => JSON.stringify(blocks);
function expectNoMarkup(json: string) {
  for (const bad of ['<!channel>', '<!here>', '<@U123>', '<https://evil.example']) expect(json).not.toContain(bad);
}
function expectWithinLimits(blocks: AnyBlock[], max: number) {
  expect(blocks.length).toBeLessThanOrEqual(max);
  for (const b of blocks) if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
}

describe('buildWhy', () => {
  it('when a story is drawn, then it reads in order: events, runs, approvals with policy v1 and its rule, writes, exceptions, and says the source', () => {
    const { text, blocks } = buildWhy(story());
    const json = texts(blocks);
    const order = ['1. Webhook events', 'company.creation', '2. Runs', 'run_1', '3. Approvals', 'Approved by <@UADMIN1>', 'Policy *company-intake* v1 in force at the decision', 'regulated_industry', '4. What was written where', 'recA1', 'performed', '5. Exceptions and fixes since', 'exc_1'];
    let last = -1;
    for (const needle of order) {
      const i = json.indexOf(needle, last + 1);
      expect(i, needle).toBeGreaterThan(last);
      last = i;
    }
    expect(json).toContain('Neo4j lineage');
    expect(json).toContain('https://slack.com/archives/C0APPROVALS/p1764000000000100');
    expect(text).toContain('company 9101');
  });

  it('when titles, reasons and resolutions carry Slack markup, then none of it survives as markup', () => {
    const { text, blocks } = buildWhy(story());
    expectNoMarkup(texts(blocks) + text);
    expect(texts(blocks)).toContain('&lt;!channel&gt;');
  });

  it('when a subject has many runs and long texts, then the answer stays within Slack limits (50 blocks, 3000 chars) and the modal within 100', () => {
    const many = story({ runs: Array.from({ length: 20 }, (_, i) => ({ ...story().runs[0]!, runId: `run_${i}`, error: 'x'.repeat(5000) })), events: Array.from({ length: 200 }, (_, i) => ({ ...story().events[0]!, id: `wev_${i}` })) });
    expectWithinLimits(buildWhy(many).blocks as AnyBlock[], SLACK_LIMITS.messageBlocks);
    const modal = buildWhyModal(many);
    expectWithinLimits(modal.blocks as AnyBlock[], SLACK_LIMITS.viewBlocks);
    expect(modal.title.text.length).toBeLessThanOrEqual(SLACK_LIMITS.modalTitle);
  });

  it('when nothing is known, then it says so and the source', () => {
    const json = texts(buildWhy(story({ runs: [], events: [], approvals: [], writes: [], exceptions: [], source: 'mongodb', sourceNote: 'lineage off: NEO4J_URI is not set' })).blocks);
    expect(json).toContain('knows no run for company 9101');
    expect(json).toContain('Source: *MongoDB* (lineage off: NEO4J_URI is not set)');
  });

  it('when a newer policy version had started between the sheet and the decision, then the story says which version applied and which was newer', () => {
    const base = story();
    const a = base.approvals[0]!;
    const json = texts(buildWhy(story({ approvals: [{ ...a, policy: { ...a.policy!, laterVersionAtDecision: 2 } }] })).blocks);
    expect(json).toContain('Policy *company-intake* v1 the version the sheet was evaluated and decided under; v2 had started by the decision');
  });

  it('when a dry-run intended write is shown, then it says it was not written', () => {
    const json = texts(buildWhy(story({ writes: [{ runId: 'run_1', system: 'airtable', target: 'Accounts', recordId: null, op: 'upsert', performed: false }] })).blocks);
    expect(json).toContain('dry-run, not written');
  });
});

describe('Why? buttons', () => {
  const sheet = { approvalId: 'apr_1', runId: 'run_1', workflowId: 'company-intake', title: 'Acme', objectType: 'company', objectId: '9101', trigger: 'company.creation', requestedAt: new Date(), fields: [], diff: [], flags: [], policy: { name: 'company-intake', version: 1, matched: [] }, intendedWrites: [], mode: 'live' as const };

  it('when a sheet is decided, then its banner has a Why? button for the run; a pending sheet has none', () => {
    const decided = buildApprovalSheet(sheet, { decision: 'approve', actor: 'UADMIN1', at: new Date() }) as AnyBlock[];
    const banner = decided.at(-1);
    expect(banner?.accessory).toMatchObject({ action_id: WHY_ACTION, value: 'run:run_1' });
    expect(decided.some((b) => b.type === 'actions')).toBe(false);
    expect(texts(buildApprovalSheet(sheet))).not.toContain(WHY_ACTION);
  });

  it('when an exception card is drawn (open or resolved), then its title has a Why? button for the object', () => {
    const base = { _id: 'exc_1', type: 'field_drift', severity: 'high' as const, objectType: 'company', objectId: '9101', diff: [], occurrences: 1, firstSeenAt: new Date(), lastSeenAt: new Date() };
    for (const status of ['open', 'resolved']) {
      const title = (buildExceptionCard({ ...base, status }) as AnyBlock[])[0];
      expect(title?.accessory).toMatchObject({ action_id: WHY_ACTION, value: 'company:9101' });
    }
  });

  it('when a button value is parsed, then only run|deal|company|contact with a safe id pass', () => {
    expect(parseWhyValue('run:run_1')).toEqual({ kind: 'run', id: 'run_1' });
    expect(parseWhyValue('deal:4242')).toEqual({ kind: 'deal', id: '4242' });
    for (const bad of ['', 'ticket:1', 'run:', 'company:1 2', 'company:<x>']) expect(parseWhyValue(bad)).toBeNull();
    expect(WHY_ACTION_PATTERN.test('why_open_3')).toBe(true);
  });
});

describe('/orch why and --as-of arguments', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  it('when the subject is a run id or a kind and an id, then it is understood; anything else is a usage error', () => {
    expect(parseWhySubject(['run_8k2m'])).toEqual({ kind: 'run', id: 'run_8k2m' });
    expect(parseWhySubject(['Company', '9101'])).toEqual({ kind: 'company', id: '9101' });
    expect(parseWhySubject(['deal', '4242'])).toEqual({ kind: 'deal', id: '4242' });
    for (const bad of [[], ['deal'], ['ticket', '1'], ['a', 'b', 'c'], ['<!channel>']]) expect(() => parseWhySubject(bad)).toThrow(/run id/);
  });

  it('when --as-of is given, then a bare day means its end (UTC), times and relative dates work, and a bad date is an error', () => {
    expect(takeAsOf(['company', '1', '--as-of', '2026-11-22'], now)).toEqual({ rest: ['company', '1'], asOf: new Date('2026-11-22T23:59:59.999Z') });
    expect(takeAsOf(['--as-of=2026-11-22T10:30Z', 'run_1'], now).asOf).toEqual(new Date('2026-11-22T10:30:00Z'));
    expect(takeAsOf(['run_1'], now)).toEqual({ rest: ['run_1'], asOf: null });
    expect(takeAsOf(['run_1', '--as-of', '2026-02-30'], now).error).toContain('--as-of');
    expect(parseWhen('3d', now, 'end')).toEqual(new Date('2026-11-28T12:00:00Z'));
    expect(parseWhen('yesterday', now, 'start')).toEqual(new Date('2026-11-30T00:00:00Z'));
    expect(parseWhen('monday', now, 'start')).toEqual(new Date('2026-11-30T00:00:00Z'));
    expect(parseWhen('soon', now, 'start')).toBeNull();
  });
});

describe('/orch ask without OpenAI: the deterministic parser', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const q = (text: string) => toQuery(parseQuestion(text), { asker: 'UASKER1', now });
  it('when each catalogue question is asked in common words, then it maps to its query with the parameters', () => {
    expect(q('Who approved deal 4242?')).toEqual({ id: 'who_approved', subject: { kind: 'deal', id: '4242' } });
    expect(q('who approved run_abc123')).toEqual({ id: 'who_approved', subject: { kind: 'run', id: 'run_abc123' } });
    expect(q('why was company 9101 approved?')).toEqual({ id: 'why_approved', subject: { kind: 'company', id: '9101' } });
    expect(q('what changed on contact 55 since 2026-11-01')).toEqual({ id: 'what_changed', subject: { kind: 'contact', id: '55' }, since: new Date('2026-11-01T00:00:00Z') });
    expect(q('what changed on deal 4242')).toEqual({ id: 'what_changed', subject: { kind: 'deal', id: '4242' }, since: null });
    expect(q('which approvals did <@UALICE1|alice> make since monday?')).toEqual({ id: 'approvals_by', user: 'UALICE1', since: new Date('2026-11-30T00:00:00Z') });
    expect(q('what approvals did I make since 7d')).toMatchObject({ id: 'approvals_by', user: 'UASKER1' });
    expect(q("What's waiting for me?")).toEqual({ id: 'waiting_for_me' });
    expect(q('what is waiting for me')).toEqual({ id: 'waiting_for_me' });
    expect(q('which policy applied to company-intake on 2026-11-22?')).toEqual({ id: 'policy_on', policyName: 'company-intake', at: new Date('2026-11-22T23:59:59.999Z') });
  });

  it('when a question cannot be mapped, then there is no query (the answer lists the questions it understands)', () => {
    expect(q('make me a sandwich')).toBeNull();
    expect(q('which approvals did @alice make')).toBeNull(); // a name, not a mention: no user id
    const { blocks } = buildAskAnswer('make me a sandwich <!channel>', { ok: false, via: 'parser', examples: [{ id: 'who_approved', description: 'who decided', example: 'who approved deal 4242?' }] });
    expect(texts(blocks)).toContain('Questions I understand');
    expect(texts(blocks)).toContain('who approved deal 4242?');
    expectNoMarkup(texts(blocks));
  });
});

describe('hostile values in every EXPLAIN builder', () => {
  const st = story({ subject: { kind: 'company', id: '9101' }, sourceNote: HOSTILE, runs: [{ ...story().runs[0]!, workflowId: HOSTILE, error: HOSTILE }], writes: [{ runId: 'run_1', system: HOSTILE, target: HOSTILE, recordId: HOSTILE, op: HOSTILE, performed: false }] });
  const decided = { approvalId: 'apr_1', runId: 'run_1', title: HOSTILE, decision: 'approve', at: '2026-11-20T10:04:00.000Z', reason: HOSTILE, sheet: null, policy: { name: HOSTILE, version: HOSTILE } };
  const answers = {
    who: { query: 'who_approved', story: st },
    why: { query: 'why_approved', story: st },
    changed: { query: 'what_changed', story: st, since: null, changes: [{ runId: 'run_1', approvalId: 'apr_1', at: null, field: HOSTILE, kind: HOSTILE, old: HOSTILE, new: HOSTILE }] },
    by: { query: 'approvals_by', user: HOSTILE, since: '2026-11-01T00:00:00.000Z', source: 'neo4j', approvals: [decided] },
    waiting: { query: 'waiting_for_me', user: 'U1', canDecide: true, approvals: [{ approvalId: 'apr_1', runId: 'run_1', title: HOSTILE, requestedAt: null, sheet: null }], exceptions: [{ exceptionId: HOSTILE, type: HOSTILE, severity: HOSTILE, title: HOSTILE }] },
  } as const;
  it('when story texts, answers and notes carry Slack markup, then none survives in blocks or top-level text (why, modal, every ask answer)', () => {
    const why = buildWhy(st);
    expectNoMarkup(texts(why.blocks) + why.text + texts(buildWhyModal(st).blocks));
    for (const [name, result] of Object.entries(answers)) {
      const a = buildAskAnswer(HOSTILE, { ok: true, via: 'openai', note: HOSTILE, result: result as never });
      expectNoMarkup(texts(a.blocks) + a.text);
      expectWithinLimits(a.blocks as AnyBlock[], SLACK_LIMITS.messageBlocks);
      expect(texts(a.blocks), name).toContain('&lt;!channel&gt;');
    }
  });
});

describe('buildPolicyAsOf', () => {
  it('when a version was in force, then rules, thresholds, validity and author are shown; otherwise the known names', () => {
    const res = buildPolicyAsOf('company-intake', { source: 'neo4j', at: '2026-11-22T23:59:59.999Z', known: ['company-intake'], policy: { name: 'company-intake', version: 1, description: HOSTILE, rules: [{ id: 'large_company', description: 'More than 1000 employees', when: { field: 'employees', op: 'gt', value: 1000 }, level: 'MEDIUM' }], thresholds: { employees: 1000 }, validFrom: '1970-01-01T00:00:00.000Z', validTo: '2026-11-25T00:00:00.000Z', createdBy: 'seed' } });
    const json = texts(res.blocks);
    expect(json).toContain('Policy company-intake v1');
    expect(json).toContain('large_company');
    expect(json).toContain('employees');
    expect(json).toContain('to 2026-11-25 00:00 UTC');
    expect(json).toContain('created by seed');
    expectNoMarkup(json);
    const none = texts(buildPolicyAsOf('nope', { source: 'mongodb', at: '2026-11-22T00:00:00.000Z', known: ['company-intake'], policy: null }).blocks);
    expect(none).toContain('Known policies: `company-intake`');
  });
});
