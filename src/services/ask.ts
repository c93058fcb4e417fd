import type { AppContext } from '../context.ts';
import { createLineageReader } from '../integrations/lineage-read.ts';
import { CATALOGUE, CHOICE_JSON_SCHEMA, choiceSchema, parseQuestion, QUERY_IDS, toQuery, type AskQuery, type Choice, type QueryId } from './ask-catalogue.ts';
import { explain, type WhyStory } from './explain.ts';
import type { Source, WhySubject } from './explain-sources.ts';
import { policyAsOf, type PolicyAsOf } from './policy-lookup.ts';
import { roleOf } from './rbac.ts';

/**
 * `/orch ask <question>`: map the question to ONE catalogue query (ask-catalogue.ts), by the
 * model when OpenAI is configured (structured output, strict schema) or by the parser, then run
 * that query's fixed code. The model never sees or writes Cypher or MongoDB filters.
 */
export interface DecidedItem {
  approvalId: string;
  runId: string;
  title: string | null;
  decision: string | null;
  at: string | null;
  reason: string | null;
  sheet: { channel: string; ts: string } | null;
  policy: { name: string; version: string } | null;
}
export interface ChangeItem {
  runId: string;
  approvalId: string;
  at: string | null;
  field: string;
  kind: string;
  old: unknown;
  new: unknown;
}
export type AskResult =
  | { query: 'who_approved' | 'why_approved'; story: WhyStory }
  | { query: 'what_changed'; story: WhyStory; since: string | null; changes: ChangeItem[] }
  | { query: 'approvals_by'; user: string; since: string; source: Source; approvals: DecidedItem[] }
  | { query: 'waiting_for_me'; user: string; canDecide: boolean; approvals: { approvalId: string; runId: string; title: string | null; requestedAt: string | null; sheet: DecidedItem['sheet'] }[]; exceptions: { exceptionId: string; type: string; severity: string; title: string | null }[] }
  | { query: 'policy_on'; name: string; result: PolicyAsOf };

export type AskAnswer =
  | { ok: true; via: 'openai' | 'parser'; note?: string; result: AskResult }
  | { ok: false; via: 'openai' | 'parser'; note?: string; examples: { id: QueryId; description: string; example: string }[] };

type Ctx = Pick<AppContext, 'models' | 'neo4j' | 'logger' | 'integrations'>;

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);
const sheetOf = (s: unknown) => {
  const v = s as { channel?: string; ts?: string } | undefined;
  return v?.channel && v.ts ? { channel: v.channel, ts: v.ts } : null;
};

const SYSTEM = [
  'You map a question about an operations tool to ONE query of a fixed catalogue and fill its parameters.',
  'Answer only with the JSON object the schema describes. Use query "none" when no query fits.',
  'Never invent ids: copy run ids (run_…), HubSpot record ids and Slack user ids (U…) exactly as they appear.',
  'Catalogue:',
  ...QUERY_IDS.map((id) => `- ${id}: ${CATALOGUE[id].description}. Parameters: ${CATALOGUE[id].params}. Example: "${CATALOGUE[id].example}"`),
].join('\n');

/** The model's pick, validated; throws when the call fails or the JSON does not fit the schema. */
async function chooseWithModel(ctx: Ctx, question: string, asker: string, now: Date): Promise<Choice> {
  const openai = ctx.integrations.openai as NonNullable<Ctx['integrations']['openai']>;
  const json = await openai.structured({
    name: 'orch_ask_query',
    schema: CHOICE_JSON_SCHEMA as unknown as Record<string, unknown>,
    system: SYSTEM,
    user: JSON.stringify({ question: question.slice(0, 500), asker, today: now.toISOString().slice(0, 10) }),
  });
  return choiceSchema.parse(json);
}

async function approvalsBy(ctx: Ctx, user: string, since: Date): Promise<{ source: Source; approvals: DecidedItem[] }> {
  let source: Source = 'mongodb';
  let ids: Map<string, { name: string; version: string } | null> | null = null;
  if (ctx.neo4j) {
    try {
      const rows = await createLineageReader(ctx.neo4j).decidedBy(user, since);
      ids = new Map(rows.map((r) => [r.approvalId, r.policy]));
      source = 'neo4j';
    } catch (err) {
      ctx.logger.warn('ask: Neo4j lineage unavailable, answering from MongoDB', { error: (err as Error).message });
    }
  }
  const filter = ids ? { _id: { $in: [...ids.keys()] } } : { decidedBy: user, decidedAt: { $gte: since } };
  const docs = await ctx.models.Approval.find(filter).sort({ decidedAt: -1 }).limit(50).lean();
  const approvals = docs.map((a) => {
    const p = (a.policy ?? null) as { name?: string; version?: number } | null;
    return {
      approvalId: String(a._id),
      runId: a.runId,
      title: a.title ?? null,
      decision: a.decision ?? null,
      at: iso(a.decidedAt),
      reason: a.reason ?? null,
      sheet: sheetOf(a.slack),
      policy: ids?.get(String(a._id)) ?? (p?.name ? { name: p.name, version: String(p.version ?? 0) } : null),
    };
  });
  return { source, approvals };
}

async function waitingFor(ctx: Ctx, user: string): Promise<Extract<AskResult, { query: 'waiting_for_me' }>> {
  const canDecide = (await roleOf(ctx.models, user)) === 'admin';
  const [approvals, exceptions] = await Promise.all([
    canDecide ? ctx.models.Approval.find({ status: 'PENDING' }).sort({ requestedAt: 1 }).limit(20).lean() : Promise.resolve([]),
    ctx.models.Exception.find({ status: 'open', assignee: user }).sort({ lastSeenAt: -1 }).limit(20).lean(),
  ]);
  return {
    query: 'waiting_for_me',
    user,
    canDecide,
    approvals: approvals.map((a) => ({ approvalId: String(a._id), runId: a.runId, title: a.title ?? null, requestedAt: iso(a.requestedAt), sheet: sheetOf(a.slack) })),
    exceptions: exceptions.map((e) => ({ exceptionId: String(e._id), type: e.type, severity: e.severity, title: e.title ?? null })),
  };
}

async function changesOf(ctx: Ctx, story: WhyStory, since: Date | null): Promise<ChangeItem[]> {
  const runIds = story.runs.map((r) => r.runId);
  const docs = await ctx.models.Approval.find({ runId: { $in: runIds }, ...(since ? { requestedAt: { $gte: since } } : {}) }, { runId: 1, diff: 1, requestedAt: 1 }).sort({ requestedAt: 1 }).lean();
  return docs.flatMap((a) =>
    ((a.diff ?? []) as { field?: string; kind?: string; old?: unknown; new?: unknown }[]).map((d) => ({ runId: a.runId, approvalId: String(a._id), at: iso(a.requestedAt), field: String(d.field ?? '?'), kind: String(d.kind ?? 'changed'), old: d.old ?? null, new: d.new ?? null })),
  );
}

/** Runs one validated catalogue query. */
export async function runQuery(ctx: Ctx, q: AskQuery, asker: string): Promise<AskResult> {
  switch (q.id) {
    case 'who_approved':
    case 'why_approved':
      return { query: q.id, story: await explain(ctx, q.subject) };
    case 'what_changed': {
      const story = await explain(ctx, q.subject);
      const since = q.since;
      return { query: 'what_changed', story: since ? { ...story, writes: story.writes.filter((w) => story.runs.some((r) => r.runId === w.runId && r.startedAt && new Date(r.startedAt) >= since)) } : story, since: since?.toISOString() ?? null, changes: await changesOf(ctx, story, since) };
    }
    case 'approvals_by':
      return { query: 'approvals_by', user: q.user, since: q.since.toISOString(), ...(await approvalsBy(ctx, q.user, q.since)) };
    case 'waiting_for_me':
      return waitingFor(ctx, asker);
    case 'policy_on':
      return { query: 'policy_on', name: q.policyName, result: await policyAsOf(ctx, q.policyName, q.at) };
  }
}

const EXAMPLES = QUERY_IDS.map((id) => ({ id, description: CATALOGUE[id].description, example: CATALOGUE[id].example }));

/** Answers a plain-words question; an unmappable one gets the list of questions orch understands. */
export async function ask(ctx: Ctx, question: string, asker: string, now: Date): Promise<AskAnswer> {
  let via: 'openai' | 'parser' = 'parser';
  let note: string | undefined;
  let choice: Choice | null = null;
  if (ctx.integrations.openai) {
    try {
      choice = await chooseWithModel(ctx, question, asker, now);
      via = 'openai';
    } catch (err) {
      ctx.logger.warn('ask: the model could not pick a query, using the parser', { error: (err as Error).message });
      note = 'OpenAI did not answer; the built-in parser was used';
    }
  }
  let q = choice ? toQuery(choice, { asker, now }) : null;
  if (!q) {
    // No model, a failed call, or a pick that does not validate: the parser gets its chance.
    const parsed = toQuery(parseQuestion(question), { asker, now });
    if (parsed) [q, via] = [parsed, 'parser'];
  }
  const extra = note ? { note } : {};
  if (!q) return { ok: false, via, ...extra, examples: EXAMPLES };
  return { ok: true, via, ...extra, result: await runQuery(ctx, q, asker) };
}

export type { WhySubject };
