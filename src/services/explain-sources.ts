import type { AppContext } from '../context.ts';
import { createLineageReader, type TracedRun } from '../integrations/lineage-read.ts';

/**
 * Where the provenance of an explanation comes from: which runs, which events started them, who
 * decided under which policy version, what was written. The Neo4j lineage answers when NEO4J_URI
 * is set; otherwise MongoDB (runs, webhook_events, approvals) gives the same facts.
 */
export type WhyKind = 'run' | 'deal' | 'company' | 'contact';
export interface WhySubject {
  kind: WhyKind;
  id: string;
}
export type Source = 'neo4j' | 'mongodb';

export interface Provenance {
  source: Source;
  /** Set when the preferred source could not answer and the other one did. */
  note?: string;
  runs: TracedRun[];
}

type Ctx = Pick<AppContext, 'models' | 'neo4j' | 'logger'>;

/** At most this many runs per explanation (the latest ones): the answer must fit one Slack message. */
export const MAX_RUNS = 20;

async function runIdsFromMongo(ctx: Ctx, s: WhySubject): Promise<string[]> {
  if (s.kind === 'run') return (await ctx.models.Run.exists({ _id: s.id })) ? [s.id] : [];
  const runs = await ctx.models.Run.find({ objectType: s.kind, objectId: s.id }, { _id: 1 }).sort({ startedAt: -1 }).limit(MAX_RUNS).lean();
  return runs.map((r) => String(r._id));
}

async function fromMongo(ctx: Ctx, s: WhySubject): Promise<TracedRun[]> {
  const runIds = await runIdsFromMongo(ctx, s);
  if (runIds.length === 0) return [];
  const [runs, approvals] = await Promise.all([
    ctx.models.Run.find({ _id: { $in: runIds } }, { workflowId: 1, objectType: 1, objectId: 1, trigger: 1, result: 1, finishedAt: 1 }).lean(),
    ctx.models.Approval.find({ runId: { $in: runIds }, decidedAt: { $exists: true } }, { runId: 1, decision: 1, decidedBy: 1, decidedAt: 1, reason: 1, policy: 1 }).lean(),
  ]);
  return runs.map((r) => {
    const result = (r.result ?? {}) as { writes?: { system?: string; recordId?: string; performed?: boolean; op?: string }[] };
    return {
      runId: String(r._id),
      workflowId: r.workflowId,
      objectType: r.objectType,
      objectId: r.objectId,
      eventIds: [...(r.trigger?.eventIds ?? [])].sort(),
      approvals: approvals
        .filter((a) => a.runId === r._id)
        .map((a) => {
          const p = (a.policy ?? null) as { name?: string; version?: number } | null;
          return {
            approvalId: String(a._id),
            decision: a.decision ?? null,
            actor: a.decidedBy ?? null,
            at: a.decidedAt ? a.decidedAt.toISOString() : null,
            reason: a.reason ?? null,
            policy: p?.name ? { name: p.name, version: String(p.version ?? 0), validFrom: null, validTo: null, createdBy: null } : null,
          };
        }),
      // Only what was performed: dry-run writes are added by the caller from the run's result.
      // The run's result is stored when it completes: that is when its writes are known to be done.
      writes: (result.writes ?? []).filter((w) => w.performed && w.recordId).map((w) => ({ system: String(w.system), recordId: String(w.recordId), op: w.op ?? null, at: r.finishedAt ? r.finishedAt.toISOString() : null })),
    };
  });
}

async function fromNeo4j(ctx: Ctx, s: WhySubject): Promise<TracedRun[]> {
  const reader = createLineageReader(ctx.neo4j as NonNullable<Ctx['neo4j']>);
  const runIds = s.kind === 'run' ? [s.id] : await reader.runsOf(s.kind, s.id);
  return reader.trace(runIds);
}

/** The provenance of a run or a CRM object; Neo4j first when configured, MongoDB otherwise or on error. */
export async function provenanceOf(ctx: Ctx, s: WhySubject): Promise<Provenance> {
  if (ctx.neo4j) {
    try {
      return { source: 'neo4j', runs: await fromNeo4j(ctx, s) };
    } catch (err) {
      ctx.logger.warn('why: Neo4j lineage unavailable, answering from MongoDB', { subject: `${s.kind}:${s.id}`, error: (err as Error).message });
      return { source: 'mongodb', note: 'the Neo4j lineage did not answer', runs: await fromMongo(ctx, s) };
    }
  }
  return { source: 'mongodb', runs: await fromMongo(ctx, s) };
}
