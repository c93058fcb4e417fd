import type { AppContext } from '../context.ts';
import type { ApprovalLevel, ApprovalRequirement } from '../../workflows/approval-requirement.ts';
import { describeSource } from '../../workflows/approval-requirement.ts';
import { audit } from './audit.ts';
import { askedAt, voterFor } from './approvers.ts';

/**
 * N-of-M approvals (issue 13). A vote is ONE conditional update of the Approval: status PENDING, the
 * level the voter saw, fewer votes than the level needs and no vote yet by this person are all in
 * the filter, and `$push` + `$inc` record it. Of any number of concurrent voters exactly `required`
 * match; the one whose vote fills the level moves it on (next level, or APPROVED) with a second
 * conditional update, so the run resumes once. A crash in between is finished by the next click.
 */
export type VoteCtx = Pick<AppContext, 'models' | 'events' | 'logger' | 'integrations'>;

export interface Vote {
  by: string;
  voter: string;
  onBehalfOf?: string;
  decision: 'approve' | 'reject';
  level: number;
  at: Date;
  reason?: string;
  policy: { name: string; version: number } | null;
}

export interface VotingApproval {
  _id: string;
  runId: string;
  status: string;
  requirement: ApprovalRequirement;
  level: number;
  levelVotes: number;
  votes?: Vote[];
  subject?: string | null;
  policy?: { name?: string; version?: number } | null;
  decidedBy?: string | null;
  decidedAt?: Date | null;
}

/** Follow-ups of the APPROVED transition (audit, lineage, resume), run by whoever made it. */
export type OnApproved = (approval: VotingApproval) => Promise<void>;

export type VoteOutcome =
  | { kind: 'recorded'; approval: VotingApproval; complete: boolean; level: number }
  | { kind: 'refused'; reason: 'not_approver' | 'self_approval' | 'already_voted' | 'already_decided' | 'reason_required'; message: string; approval?: VotingApproval };

const policyOf = (a: VotingApproval) => (a.policy?.name ? { name: a.policy.name, version: a.policy.version ?? 0 } : null);

function levelOf(a: VotingApproval): ApprovalLevel | undefined {
  return a.requirement.levels[a.level];
}

async function refuse(ctx: VoteCtx, actor: string, a: VotingApproval, reason: 'not_approver' | 'self_approval', message: string, decision: 'approve' | 'reject'): Promise<VoteOutcome> {
  await audit(ctx.models, { actor, action: `approval.${decision}`, target: a._id, outcome: 'refused', reason: message });
  return { kind: 'refused', reason, message, approval: a };
}

async function recordReject(ctx: VoteCtx, a: VotingApproval, vote: Vote): Promise<VoteOutcome> {
  const done = (await ctx.models.Approval.findOneAndUpdate(
    { _id: a._id, status: 'PENDING' },
    { $set: { status: 'REJECTED', decision: 'reject', decidedBy: vote.by, decidedAt: vote.at, reason: vote.reason }, $push: { votes: vote } },
    { returnDocument: 'after', lean: true },
  )) as unknown as VotingApproval | null;
  if (!done) return { kind: 'refused', reason: 'already_decided', message: 'already decided' };
  return { kind: 'recorded', approval: done, complete: true, level: a.level };
}

/** The update for a vote that fills its level: the next level is asked, or the approval is APPROVED. */
async function fillingUpdate(ctx: VoteCtx, a: VotingApproval, vote: Vote, chosen: string | undefined): Promise<Record<string, unknown>> {
  const next = a.requirement.levels[a.level + 1];
  const set = next
    ? { level: a.level + 1, levelVotes: 0, levelApprovers: await askedAt(ctx.models, next.from) }
    : { status: 'APPROVED', decision: 'approve', decidedBy: vote.by, decidedAt: vote.at, ...(chosen ? { chosen } : {}) };
  return { $push: { votes: vote }, $set: set };
}

function refusedNow(now: VotingApproval, who: { voter: string }, actor: string): VoteOutcome {
  if (now.status !== 'PENDING') return { kind: 'refused', reason: 'already_decided', message: 'already decided', approval: now };
  if ((now.votes ?? []).some((v) => v.voter === who.voter || v.by === actor)) return { kind: 'refused', reason: 'already_voted', message: 'Your approval is already counted.', approval: now };
  return { kind: 'refused', reason: 'already_decided', message: 'retry', approval: now };
}

/**
 * One person's Approve or Reject. Each attempt is one conditional update against the vote count it
 * saw: below `required - 1` it only adds the vote; at `required - 1` it also moves the level on (or
 * approves) in the same update. A lost race re-reads and tries again at the new count.
 */
export async function castVote(ctx: VoteCtx, a: VotingApproval, input: { actor: string; decision: 'approve' | 'reject'; reason?: string; chosen?: string }, onApproved: OnApproved): Promise<VoteOutcome> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const level = levelOf(a);
    if (a.status !== 'PENDING' || !level) return { kind: 'refused', reason: 'already_decided', message: 'already decided', approval: a };
    const votes = a.votes ?? [];
    const who = await voterFor(ctx.models, level.from, input.actor, votes.map((v) => v.voter));
    if (!who) {
      const only = level.from === 'admins' ? 'Only orch admins can decide' : `Only ${describeSource(level.from)} can decide`;
      return refuse(ctx, input.actor, a, 'not_approver', `${only}${a.requirement.levels.length > 1 ? ` level ${a.level + 1} of` : ''} this approval.`, input.decision);
    }
    if (a.subject && (a.subject === input.actor || a.subject === who.voter)) {
      return refuse(ctx, input.actor, a, 'self_approval', 'You own this record, so you cannot approve or reject it yourself; another approver has to.', input.decision);
    }
    const vote: Vote = { by: input.actor, voter: who.voter, ...(who.onBehalfOf ? { onBehalfOf: who.onBehalfOf } : {}), decision: input.decision, level: a.level, at: new Date(), ...(input.reason ? { reason: input.reason } : {}), policy: policyOf(a) };
    if (input.decision === 'reject') {
      if (!input.reason?.trim()) return { kind: 'refused', reason: 'reason_required', message: 'A reason is required to reject.' };
      return recordReject(ctx, a, vote);
    }
    if (votes.some((v) => v.voter === who.voter || v.by === input.actor)) return { kind: 'refused', reason: 'already_voted', message: 'Your approval is already counted.', approval: a };
    const count = a.levelVotes ?? 0;
    const fills = count + 1 >= level.required;
    const filter: Record<string, unknown> = { _id: a._id, status: 'PENDING', level: a.level, levelVotes: fills ? count : { $lt: level.required - 1 }, 'votes.voter': { $ne: who.voter }, 'votes.by': { $ne: input.actor } };
    const update = fills ? await fillingUpdate(ctx, a, vote, input.chosen) : { $push: { votes: vote }, $inc: { levelVotes: 1 } };
    const after = (await ctx.models.Approval.findOneAndUpdate(filter as never, update, { returnDocument: 'after', lean: true })) as unknown as VotingApproval | null;
    if (after) {
      if (after.status === 'APPROVED') await onApproved(after);
      return { kind: 'recorded', approval: after, complete: after.status === 'APPROVED', level: a.level };
    }
    const now = (await ctx.models.Approval.findById(a._id).lean()) as unknown as VotingApproval | null;
    if (!now) return { kind: 'refused', reason: 'already_decided', message: 'gone' };
    const refused = refusedNow(now, who, input.actor);
    if (refused.kind === 'refused' && refused.message !== 'retry') return refused;
    a = now; // another vote landed first: try again at the new count (or the next level)
  }
  return { kind: 'refused', reason: 'already_decided', message: 'already decided', approval: a };
}
