import type { AppContext } from '../context.ts';
import type { TracedRun } from '../integrations/lineage-read.ts';
import { MAX_RUNS, provenanceOf, tracedFromDocs, type Source, type WhySubject } from './explain-sources.ts';

export type { WhyKind, WhySubject } from './explain-sources.ts';

/**
 * `/orch why`: the story of a run or a CRM object, in order, as plain data (blocks/why.ts draws
 * it). Provenance comes from the lineage (explain-sources.ts); MongoDB adds what the graph does
 * not keep (times, statuses, titles, exceptions). With `asOf`, only what had happened by then.
 */
export interface WhyPolicy {
  name: string;
  version: number;
  validFrom: string | null;
  validTo: string | null;
  createdBy: string | null;
  matched: { id: string; description: string | null; level: string | null }[];
  /** Set when another version had come into force between the sheet and the decision (the sheet's version applied). */
  laterVersionAtDecision: number | null;
}
export interface WhyStory {
  subject: WhySubject;
  source: Source;
  sourceNote?: string;
  asOf: string | null;
  events: { id: string; eventId: string | null; subscriptionType: string | null; propertyName: string | null; occurredAt: string | null }[];
  runs: { runId: string; workflowId: string; status: string; objectType: string; objectId: string; mode: string | null; startedAt: string | null; finishedAt: string | null; durationMs: number | null; error: string | null }[];
  approvals: { approvalId: string; runId: string; title: string | null; status: string; decision: string | null; decidedBy: string | null; decidedAt: string | null; reason: string | null; requestedAt: string | null; sheet: { channel: string; ts: string } | null; policy: WhyPolicy | null }[];
  writes: { runId: string; system: string; target: string | null; recordId: string | null; op: string | null; performed: boolean }[];
  exceptions: { exceptionId: string; type: string; severity: string; status: string; title: string | null; firstSeenAt: string | null; resolvedAt: string | null; resolvedBy: string | null; resolution: string | null }[];
}

type Ctx = Pick<AppContext, 'models' | 'neo4j' | 'logger'>;
type Lean = Record<string, unknown> & { _id: string };

const isoOf = (d: unknown): string | null => (d instanceof Date ? d.toISOString() : typeof d === 'string' && d ? new Date(d).toISOString() : null);
const after = (d: string | null, asOf: Date | null) => Boolean(asOf && d && new Date(d) > asOf);

/** The version of `name` in force at `at` among the stored versions (validFrom ≤ at < validTo, highest first). */
function versionAt(versions: Map<string, Lean>, name: string, at: string | null): number | null {
  if (!at) return null;
  const t = new Date(at);
  const inForce = [...versions.values()].filter((v) => v.name === name && v.validFrom instanceof Date && v.validFrom <= t && (!(v.validTo instanceof Date) || v.validTo > t));
  return inForce.length ? Math.max(...inForce.map((v) => Number(v.version))) : null;
}

function policyOf(a: Lean, traced: TracedRun['approvals'][number] | undefined, versions: Map<string, Lean>, decidedAt: string | null): WhyPolicy | null {
  const snap = (a.policy ?? null) as { name?: string; version?: number; matched?: string[]; rules?: { id: string; description?: string; level?: string }[] } | null;
  const name = traced?.policy?.name ?? snap?.name;
  if (!name) return null;
  const version = Number(traced?.policy?.version ?? snap?.version ?? 0);
  const stored = versions.get(`${name}@${version}`);
  const rules = snap?.rules ?? (stored?.rules as { id: string; description?: string; level?: string }[] | undefined) ?? [];
  const atDecision = versionAt(versions, name, decidedAt);
  return {
    name,
    version,
    laterVersionAtDecision: atDecision !== null && atDecision !== version ? atDecision : null,
    validFrom: traced?.policy?.validFrom ?? isoOf(stored?.validFrom),
    // A node written before its validity was synced has no validFrom: the stored version has it.
    validTo: traced?.policy?.validFrom ? traced.policy.validTo : isoOf(stored?.validTo),
    createdBy: traced?.policy?.createdBy ?? (stored?.createdBy as string | undefined) ?? null,
    matched: (snap?.matched ?? []).map((id) => {
      const rule = rules.find((r) => r.id === id);
      return { id, description: rule?.description ?? null, level: rule?.level ?? null };
    }),
  };
}

function approvalsOf(docs: Lean[], traced: TracedRun[], versions: Map<string, Lean>, asOf: Date | null): WhyStory['approvals'] {
  const tracedById = new Map(traced.flatMap((r) => r.approvals.map((a) => [a.approvalId, a] as const)));
  return docs
    .filter((a) => !after(isoOf(a.requestedAt), asOf))
    .map((a) => {
      const t = tracedById.get(a._id);
      const decidedAt = t?.at ?? isoOf(a.decidedAt);
      const undecided = !decidedAt || after(decidedAt, asOf);
      const slack = a.slack as { channel?: string; ts?: string } | undefined;
      return {
        approvalId: a._id,
        runId: String(a.runId),
        title: (a.title as string | undefined) ?? null,
        status: undecided ? 'PENDING' : String(a.status),
        decision: undecided ? null : (t?.decision ?? (a.decision as string | undefined) ?? null),
        decidedBy: undecided ? null : (t?.actor ?? (a.decidedBy as string | undefined) ?? null),
        decidedAt: undecided ? null : decidedAt,
        reason: undecided ? null : (t?.reason ?? (a.reason as string | undefined) ?? null),
        requestedAt: isoOf(a.requestedAt),
        sheet: slack?.channel && slack.ts ? { channel: slack.channel, ts: slack.ts } : null,
        policy: policyOf(a, t, versions, undecided ? null : decidedAt),
      };
    });
}

function runsOf(docs: Lean[], approvals: WhyStory['approvals'], asOf: Date | null): WhyStory['runs'] {
  return docs.map((r) => {
    const finishedAt = isoOf(r.finishedAt);
    const unfinished = after(finishedAt, asOf);
    const waiting = approvals.some((a) => a.runId === r._id && a.status === 'PENDING');
    const startedAt = isoOf(r.startedAt);
    return {
      runId: r._id,
      workflowId: String(r.workflowId),
      status: unfinished ? (waiting ? 'WAITING_APPROVAL' : 'RUNNING') : String(r.status),
      objectType: String(r.objectType),
      objectId: String(r.objectId),
      mode: (r.mode as string | undefined) ?? null,
      startedAt,
      finishedAt: unfinished ? null : finishedAt,
      durationMs: !unfinished && startedAt && finishedAt ? new Date(finishedAt).getTime() - new Date(startedAt).getTime() : null,
      error: unfinished ? null : ((r.error as string | undefined) ?? null),
    };
  });
}

/** Performed writes from the provenance; intended ones not performed (dry-run) from the run's result. */
function writesOf(traced: TracedRun[], runs: Lean[], asOf: Date | null): WhyStory['writes'] {
  const done = traced.flatMap((t) => t.writes.filter((w) => !after(w.at, asOf)).map((w) => ({ runId: t.runId, system: w.system, target: null, recordId: w.recordId, op: w.op, performed: true })));
  const dry = runs
    .filter((r) => !after(isoOf(r.finishedAt), asOf))
    .flatMap((r) => (((r.result as { writes?: Record<string, unknown>[] } | undefined)?.writes ?? []).filter((w) => w.performed === false)).map((w) => ({ runId: r._id, system: String(w.system), target: (w.target as string | undefined) ?? null, recordId: null, op: (w.op as string | undefined) ?? null, performed: false })));
  return [...done, ...dry];
}

async function exceptionsOf(ctx: Ctx, runs: WhyStory['runs'], asOf: Date | null): Promise<WhyStory['exceptions']> {
  if (runs.length === 0) return [];
  const objects = [...new Map(runs.map((r) => [`${r.objectType}:${r.objectId}`, { objectType: r.objectType, objectId: r.objectId }])).values()];
  const docs = (await ctx.models.Exception.find({ $or: [{ runId: { $in: runs.map((r) => r.runId) } }, ...objects] }).sort({ firstSeenAt: 1 }).limit(30).lean()) as unknown as Lean[];
  const since = Math.min(...runs.map((r) => (r.startedAt ? new Date(r.startedAt).getTime() : Infinity)));
  return docs
    .filter((e) => !after(isoOf(e.firstSeenAt), asOf) && (e.runId || new Date(isoOf(e.lastSeenAt) ?? 0).getTime() >= since))
    .map((e) => {
      const closed = !after(isoOf(e.resolvedAt), asOf) && e.resolvedAt;
      return {
        exceptionId: e._id,
        type: String(e.type),
        severity: String(e.severity),
        status: closed || !e.resolvedAt ? String(e.status) : 'open',
        title: (e.title as string | undefined) ?? null,
        firstSeenAt: isoOf(e.firstSeenAt),
        resolvedAt: closed ? isoOf(e.resolvedAt) : null,
        resolvedBy: closed ? ((e.resolvedBy as string | undefined) ?? null) : null,
        resolution: closed ? ((e.resolution as string | undefined) ?? null) : null,
      };
    });
}

/** The whole story of `subject`; empty lists (never a throw) when nothing is known about it. */
export async function explain(ctx: Ctx, subject: WhySubject, opts: { asOf?: Date | null } = {}): Promise<WhyStory> {
  const asOf = opts.asOf ?? null;
  const prov = await provenanceOf(ctx, subject);
  const runDocs = ((await ctx.models.Run.find({ _id: { $in: prov.runIds }, ...(asOf ? { startedAt: { $lte: asOf } } : {}) }).sort({ startedAt: -1 }).limit(MAX_RUNS).lean()) as unknown as Lean[]).reverse();
  const kept = new Set(runDocs.map((r) => r._id));
  const approvalDocs = (await ctx.models.Approval.find({ runId: { $in: [...kept] } }).sort({ requestedAt: 1 }).lean()) as unknown as Lean[];
  const traced = prov.traced ? prov.traced.filter((r) => kept.has(r.runId)) : tracedFromDocs(runDocs, approvalDocs);
  const eventIds = [...new Set(traced.flatMap((r) => r.eventIds))];
  const eventDocs = (await ctx.models.WebhookEvent.find({ _id: { $in: eventIds } }, { eventId: 1, subscriptionType: 1, propertyName: 1, occurredAt: 1, receivedAt: 1 }).lean()) as unknown as Lean[];
  const names = [...new Set(approvalDocs.map((a) => (a.policy as { name?: string } | null)?.name).filter((n): n is string => Boolean(n)))];
  const versionDocs = names.length ? ((await ctx.models.Policy.find({ name: { $in: names } }).lean()) as unknown as Lean[]) : [];
  const versions = new Map(versionDocs.map((p) => [`${String(p.name)}@${Number(p.version)}`, p]));
  const approvals = approvalsOf(approvalDocs, traced, versions, asOf);
  const runs = runsOf(runDocs, approvals, asOf);
  const byId = new Map(eventDocs.map((e) => [e._id, e]));
  const events = eventIds
    .map((id) => {
      const e = byId.get(id);
      return { id, eventId: e?.eventId == null ? null : String(e.eventId), subscriptionType: (e?.subscriptionType as string | undefined) ?? null, propertyName: (e?.propertyName as string | undefined) ?? null, occurredAt: isoOf(e?.occurredAt ?? e?.receivedAt) };
    })
    .filter((e) => !after(e.occurredAt, asOf))
    .sort((a, b) => (a.occurredAt ?? '').localeCompare(b.occurredAt ?? ''));
  return {
    subject,
    source: prov.source,
    ...(prov.note ? { sourceNote: prov.note } : {}),
    asOf: asOf ? asOf.toISOString() : null,
    events,
    runs,
    approvals,
    writes: writesOf(traced, runDocs, asOf),
    exceptions: await exceptionsOf(ctx, runs, asOf),
  };
}
