import type { AppContext } from '../src/context.ts';
import { matches, updateIfMatches } from '../src/db/guarded-update.ts';
import { claimOnce, RUN_CLAIMS } from '../src/services/claims.ts';
import { getMode } from '../src/services/settings.ts';
import type { Envelope, ResumeDecision } from './types.ts';

export interface ClaimedRun {
  _id: string;
  workflowId: string;
  objectType: string;
  objectId: string;
  envelope?: Envelope;
  mode?: 'dry-run' | 'live';
  pendingResume?: ResumeDecision;
  attempts?: number;
}

/** What a poll needs to know about a run to decide whether and how to claim it. */
export interface Candidate {
  _id: string;
  status?: string;
  attempts?: number;
  mode?: string | null;
  leaseUntil?: Date | null;
  pendingResume?: unknown;
}

/** Why a run can be claimed, in the order they are served: a human is waiting, a new run, a worker died. */
export type ClaimKind = 'resume' | 'pending' | 'expired';
const ORDER: ClaimKind[] = ['resume', 'pending', 'expired'];

function filterOf(kind: ClaimKind, now: Date): Record<string, unknown> {
  if (kind === 'resume') return { status: 'WAITING_APPROVAL', pendingResume: { $exists: true } };
  if (kind === 'pending') return { status: 'PENDING' };
  return { status: 'RUNNING', leaseUntil: { $lt: now } };
}

/** filterOf's conditions checked on a document already read (MongoDB query semantics, via sift). */
export function kindOf(c: Candidate, now = new Date()): ClaimKind | null {
  return ORDER.find((k) => matches(filterOf(k, now), c)) ?? null;
}

const CANDIDATE_FIELDS = { _id: 1, status: 1, attempts: 1, mode: 1, leaseUntil: 1, pendingResume: 1 } as const;

type Ctx = Pick<AppContext, 'models' | 'config'>;

/** The run by id, read by `_id` alone (FerretDB v1 scans every run for any other filter). */
export async function candidateById(ctx: Ctx, runId: string): Promise<Candidate | null> {
  return (await ctx.models.Run.findById(runId, CANDIDATE_FIELDS).lean()) as Candidate | null;
}

/**
 * Claimable runs in serving order, found with ONE query (on FerretDB each query over runs is a
 * full scan, so the three kinds are not asked for one after the other). No sort in the database:
 * FerretDB would sort the whole collection; fairness comes from events, the poll is the safety net.
 */
export async function findCandidates(ctx: Ctx, skip: string[], limit: number): Promise<Candidate[]> {
  const now = new Date();
  const filter: Record<string, unknown> = { $or: ORDER.map((k) => filterOf(k, now)) };
  if (skip.length) filter._id = { $nin: skip };
  const docs = (await ctx.models.Run.find(filter, CANDIDATE_FIELDS).limit(limit).lean()) as Candidate[];
  const rank = (c: Candidate) => ORDER.indexOf(kindOf(c, now) ?? 'expired');
  return docs.sort((a, b) => rank(a) - rank(b));
}

/**
 * Claims one run. FerretDB's findOneAndUpdate is not atomic under concurrency, so the winner is
 * decided by inserting `runId#attempts` into run_claims (a duplicate _id fails for every other
 * instance); `attempts` grows with each claim. The conditional update then guards against the run
 * having moved on since it was read (cancelled, decided, retaken). The mode in force is fixed on
 * the run by its first claim (invariant 9), in the same write.
 */
export async function claimRun(ctx: Ctx, owner: string, leaseMs: number, cand: Candidate): Promise<ClaimedRun | 'contended' | null> {
  const now = new Date();
  const kind = kindOf(cand, now);
  if (!kind) return null;
  const Run = ctx.models.Run;
  const n = cand.attempts ?? 0;
  const key = `${cand._id}#${n}`;
  if (!(await claimOnce(Run, RUN_CLAIMS, key, { owner }))) {
    // A claim older than a lease whose run never moved on: its claimer died in between. Release it.
    const claim = (await Run.db.collection(RUN_CLAIMS).findOne({ _id: key as never })) as { at?: Date } | null;
    if (claim?.at && Date.now() - claim.at.getTime() > leaseMs) await Run.db.collection(RUN_CLAIMS).deleteOne({ _id: key as never, at: claim.at });
    return 'contended';
  }
  const mode = cand.mode ? undefined : await getMode(ctx);
  const update = { $set: { status: 'RUNNING', owner, leaseUntil: new Date(Date.now() + leaseMs), ...(mode ? { mode } : {}) }, $inc: { attempts: 1 } };
  const run = await updateIfMatches<ClaimedRun>(Run, cand._id, { ...filterOf(kind, now), attempts: n }, update);
  if (!run) {
    // The run changed under us: release the claim so this attempt number stays claimable.
    await Run.db.collection(RUN_CLAIMS).deleteOne({ _id: key as never });
    return 'contended';
  }
  return run;
}
