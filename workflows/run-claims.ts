import type { AppContext } from '../src/context.ts';
import siftModule from 'sift';
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

// sift is CommonJS: its module object is the tester and also carries it as `.default`, which is what the types describe.
const sift = siftModule.default;

/** filterOf's conditions checked on a document already read (MongoDB query semantics, via sift). */
export function kindOf(c: Candidate, now = new Date()): ClaimKind | null {
  return ORDER.find((k) => sift(filterOf(k, now))(c)) ?? null;
}

const CANDIDATE_FIELDS = { _id: 1, status: 1, attempts: 1, mode: 1, leaseUntil: 1, pendingResume: 1 } as const;

type Ctx = Pick<AppContext, 'models' | 'config'>;

/** The run by id, with what a claim needs to know. */
export async function candidateById(ctx: Ctx, runId: string): Promise<Candidate | null> {
  return (await ctx.models.Run.findById(runId, CANDIDATE_FIELDS).lean()) as Candidate | null;
}

/**
 * Claimable runs in serving order (a human is waiting, then new runs, then dead workers' runs),
 * found with one query; events claim most runs at once, the poll is the safety net.
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
 * Claims one run: ONE conditional update whose filter is the kind's condition plus the attempt count
 * that was read, so of several instances racing for it exactly one matches; `attempts` grows with
 * each claim. The mode in force is fixed on the run by its first claim (invariant 9), in the same write.
 */
export async function claimRun(ctx: Ctx, owner: string, leaseMs: number, cand: Candidate): Promise<ClaimedRun | 'contended' | null> {
  const now = new Date();
  const kind = kindOf(cand, now);
  if (!kind) return null;
  const mode = cand.mode ? undefined : await getMode(ctx);
  const update = { $set: { status: 'RUNNING', owner, leaseUntil: new Date(Date.now() + leaseMs), ...(mode ? { mode } : {}) }, $inc: { attempts: 1 } };
  const run = (await ctx.models.Run.findOneAndUpdate({ _id: cand._id, ...filterOf(kind, now), attempts: cand.attempts ?? 0 }, update, { returnDocument: 'after', lean: true })) as ClaimedRun | null;
  return run ?? 'contended';
}
