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
  runIds: string[];
  /** From Neo4j; null = MongoDB, derived by the caller from the documents it reads anyway (tracedFromDocs). */
  traced: TracedRun[] | null;
}

type Ctx = Pick<AppContext, 'models' | 'neo4j' | 'logger'>;
type RunDoc = { _id: string; workflowId?: unknown; objectType?: unknown; objectId?: unknown; trigger?: unknown; result?: unknown; finishedAt?: unknown };
type ApprovalDoc = { _id: string; runId?: unknown; decision?: unknown; decidedBy?: unknown; decidedAt?: unknown; reason?: unknown; policy?: unknown };

export const LINEAGE_OFF = 'lineage off: NEO4J_URI is not set';

/** At most this many runs per explanation (the latest ones): the answer must fit one Slack message. */
export const MAX_RUNS = 20;

async function runIdsFromMongo(ctx: Ctx, s: WhySubject): Promise<string[]> {
  if (s.kind === 'run') return (await ctx.models.Run.exists({ _id: s.id })) ? [s.id] : [];
  const runs = await ctx.models.Run.find({ objectType: s.kind, objectId: s.id }, { _id: 1 }).sort({ startedAt: -1 }).limit(MAX_RUNS).lean();
  return runs.map((r) => String(r._id));
}

const isoOf = (d: unknown) => (d instanceof Date ? d.toISOString() : null);

/** The MongoDB provenance of runs: their trigger's events, decided approvals with the policy snapshot, performed writes. */
export function tracedFromDocs(runs: RunDoc[], approvals: ApprovalDoc[]): TracedRun[] {
  return runs.map((r) => {
    const result = (r.result ?? {}) as { writes?: { system?: string; recordId?: string; performed?: boolean; op?: string }[] };
    return {
      runId: r._id,
      workflowId: (r.workflowId as string | undefined) ?? null,
      objectType: (r.objectType as string | undefined) ?? null,
      objectId: (r.objectId as string | undefined) ?? null,
      eventIds: [...((r.trigger as { eventIds?: string[] } | undefined)?.eventIds ?? [])].sort(),
      approvals: approvals
        .filter((a) => a.runId === r._id && a.decidedAt)
        .map((a) => {
          const p = (a.policy ?? null) as { name?: string; version?: number } | null;
          return {
            approvalId: a._id,
            decision: (a.decision as string | undefined) ?? null,
            actor: (a.decidedBy as string | undefined) ?? null,
            at: isoOf(a.decidedAt),
            reason: (a.reason as string | undefined) ?? null,
            policy: p?.name ? { name: p.name, version: String(p.version ?? 0), validFrom: null, validTo: null, createdBy: null } : null,
          };
        }),
      // Only what was performed: dry-run writes are added by the caller from the run's result.
      // The run's result is stored when it completes: that is when its writes are known to be done.
      writes: (result.writes ?? []).filter((w) => w.performed && w.recordId).map((w) => ({ system: String(w.system), recordId: String(w.recordId), op: w.op ?? null, at: isoOf(r.finishedAt) })),
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
      const traced = await fromNeo4j(ctx, s);
      if (traced.length > 0) return { source: 'neo4j', runIds: traced.map((r) => r.runId), traced };
      // Not (yet) in the graph, e.g. a run that has not reached its first node or predates NEO4J_URI.
      const runIds = await runIdsFromMongo(ctx, s);
      if (runIds.length > 0) return { source: 'mongodb', note: 'the Neo4j lineage has no record of it', runIds, traced: null };
      return { source: 'neo4j', runIds: [], traced };
    } catch (err) {
      ctx.logger.warn('why: Neo4j lineage unavailable, answering from MongoDB', { subject: `${s.kind}:${s.id}`, error: (err as Error).message });
      return { source: 'mongodb', note: 'the Neo4j lineage did not answer', runIds: await runIdsFromMongo(ctx, s), traced: null };
    }
  }
  return { source: 'mongodb', note: LINEAGE_OFF, runIds: await runIdsFromMongo(ctx, s), traced: null };
}
