import type { AppContext } from '../context.ts';
import { buildApprovalSheet, decidedText, sheetText } from '../../blocks/approval-sheet.ts';
import { resumeRun } from '../../workflows/run-control.ts';
import { audit } from './audit.ts';
import { authorize } from './rbac.ts';
import { decisionOf, sheetInputOf, type ApprovalLike } from './approval-view.ts';
import { castVote, type Vote, type VotingApproval } from './votes.ts';
import { mention } from '../../blocks/text.ts';

export type Decision = 'approve' | 'reject';

export interface DecideInput {
  approvalId: string;
  decision: Decision;
  /** Slack user id of the person deciding. */
  actor: string;
  reason?: string;
  /** The option chosen on the sheet with Approve (role picker, kickoff slot), stored in the same update as the decision. */
  chosen?: string;
}

export type StoredApproval = ApprovalLike & { status: string; slack?: { channel?: string | null; ts?: string | null; replyTs?: string | null } | null };

export type DecideResult =
  | { ok: true; approval: StoredApproval; /** N-of-M: the vote counted, more are needed. */ pending?: boolean }
  | { ok: false; reason: 'not_admin' | 'not_approver' | 'self_approval' | 'already_voted' | 'already_decided' | 'not_found' | 'reason_required'; decidedBy?: string; decidedAt?: Date; status?: string; message?: string };

type DecideCtx = Pick<AppContext, 'models' | 'events' | 'logger' | 'integrations'>;

/**
 * The sheet is posted just before its Approval is stored (one write, see approval-step.ts), so a
 * very fast click may arrive first: wait up to 3 s before calling it unknown.
 */
export async function approvalExistsSoon(models: Pick<AppContext['models'], 'Approval'>, approvalId: string, waitMs = 3000): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await models.Approval.exists({ _id: approvalId })) return true;
    if (Date.now() > deadline || !approvalId.startsWith('apr_')) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The one way an approval gets decided (Slack buttons, /orch, the API): admin only (refusals are
 * audited by rbac.authorize), then ONE atomic PENDING → APPROVED|REJECTED update with the status
 * in the filter, so of two concurrent clicks exactly one wins and the other learns who won.
 */
export async function decideApproval(ctx: DecideCtx, input: DecideInput): Promise<DecideResult> {
  const { Approval } = ctx.models;
  if (!(await approvalExistsSoon(ctx.models, input.approvalId))) return { ok: false, reason: 'not_found' };
  const stored = (await Approval.findById(input.approvalId).lean()) as unknown as (VotingApproval & StoredApproval) | null;
  // Approvals with a requirement (every one requested since issue 13) are decided by votes.
  if (stored?.requirement) return decideByVote(ctx, stored, input);
  const role = await authorize(ctx.models, input.actor, 'admin', `approval.${input.decision}`, input.approvalId);
  if (!role) return { ok: false, reason: 'not_admin' };
  const reason = input.reason?.trim();
  if (input.decision === 'reject' && !reason) return { ok: false, reason: 'reason_required' };
  const now = new Date();
  // One atomic conditional update: of two concurrent clicks exactly one matches PENDING (invariant 4).
  const approval = (await Approval.findOneAndUpdate(
    { _id: input.approvalId, status: 'PENDING' },
    { $set: { status: input.decision === 'approve' ? 'APPROVED' : 'REJECTED', decision: input.decision, decidedBy: input.actor, decidedAt: now, ...(reason ? { reason } : {}), ...(input.chosen && input.decision === 'approve' ? { chosen: input.chosen } : {}) } },
    { returnDocument: 'after', lean: true },
  )) as unknown as StoredApproval | null;
  if (!approval) {
    const current = await Approval.findById(input.approvalId, { status: 1, decidedBy: 1, decidedAt: 1 }).lean();
    return { ok: false, reason: 'already_decided', ...(current?.decidedBy ? { decidedBy: current.decidedBy } : {}), ...(current?.decidedAt ? { decidedAt: current.decidedAt } : {}), ...(current?.status ? { status: current.status } : {}) };
  }
  await afterDecision(ctx, approval, input.decision, input.actor, reason, now);
  return { ok: true, approval };
}

/** Audit, lineage and the run's resume, once per decided approval (by whoever decided it). */
async function afterDecision(ctx: DecideCtx, approval: StoredApproval, decision: Decision, actor: string, reason: string | undefined, now: Date): Promise<void> {
  const input = { decision, actor };
  ctx.logger.info('approval decided', { runId: approval.runId, correlationId: approval.runId, approvalId: approval._id, decision, actor });
  const policy = (approval.policy ?? null) as { name?: string; version?: number; matched?: string[] } | null;
  // Independent follow-ups, in parallel: the clicker waits for the redraw that comes after them.
  await Promise.all([
    audit(ctx.models, {
    actor: input.actor,
    action: `approval.${input.decision}`,
    target: approval._id,
    outcome: 'done',
    ...(reason ? { reason } : {}),
      details: { runId: approval.runId, decision: input.decision, decidedAt: now.toISOString(), policy },
    }),
    ctx.integrations.lineage
      .recordApproval({ approvalId: approval._id, runId: approval.runId, decision: input.decision, actor: input.actor, policy: { name: policy?.name ?? 'unknown', version: policy?.version ?? 0 }, at: now, reason: reason ?? null })
      .catch((err: Error) => ctx.logger.warn('lineage: could not record the approval', { approvalId: approval._id, error: err.message })),
    resumeRun(ctx, approval.runId, { approvalId: approval._id, decision: input.decision, actor: input.actor, ...(reason ? { reason } : {}), at: now.toISOString() }),
  ]);
  ctx.events.emit('approval.decided', approval._id);
  ctx.events.emit('home.changed');
}

const VOTE_REFUSAL = { not_approver: 'not_approver', self_approval: 'self_approval', already_voted: 'already_voted', already_decided: 'already_decided', reason_required: 'reason_required' } as const;

/** N-of-M: the vote is recorded (votes.ts); the run resumes only once the requirement is met or on a Reject. */
async function decideByVote(ctx: DecideCtx, a: VotingApproval & StoredApproval, input: DecideInput): Promise<DecideResult> {
  const reason = input.reason?.trim();
  const onApproved = (done: VotingApproval) => afterDecision(ctx, done as unknown as StoredApproval, 'approve', done.decidedBy ?? input.actor, undefined, done.decidedAt ?? new Date());
  const out = await castVote(ctx, a, { actor: input.actor, decision: input.decision, ...(reason ? { reason } : {}), ...(input.chosen ? { chosen: input.chosen } : {}) }, onApproved);
  if (out.kind === 'refused') {
    const cur = out.approval;
    return { ok: false, reason: VOTE_REFUSAL[out.reason], message: out.message, ...(cur?.decidedBy ? { decidedBy: cur.decidedBy } : {}), ...(cur?.decidedAt ? { decidedAt: cur.decidedAt } : {}), ...(cur?.status ? { status: cur.status } : {}) };
  }
  const vote = (out.approval.votes ?? []).at(-1) as Vote | undefined;
  await recordVote(ctx, out.approval, vote);
  if (input.decision === 'reject') await afterDecision(ctx, out.approval as unknown as StoredApproval, 'reject', input.actor, reason, vote?.at ?? new Date());
  if (!out.complete) ctx.events.emit('home.changed');
  return { ok: true, approval: out.approval as unknown as StoredApproval, ...(out.complete ? {} : { pending: true }) };
}

/** Every vote: audited with who, for whom, when and the policy snapshot, and linked in the lineage. */
async function recordVote(ctx: DecideCtx, a: VotingApproval, vote: Vote | undefined): Promise<void> {
  if (!vote) return;
  const n = (a.votes ?? []).length;
  await audit(ctx.models, { actor: vote.by, action: 'approval.vote', target: a._id, details: { runId: a.runId, decision: vote.decision, level: vote.level + 1, voter: vote.voter, ...(vote.onBehalfOf ? { onBehalfOf: vote.onBehalfOf } : {}), at: vote.at.toISOString(), policy: vote.policy } });
  await ctx.integrations.lineage
    .recordApproval({ approvalId: `${a._id}:vote${n}`, runId: a.runId, decision: vote.decision, actor: vote.onBehalfOf ? `${vote.by} on behalf of ${vote.onBehalfOf}` : vote.by, policy: { name: vote.policy?.name ?? 'unknown', version: vote.policy?.version ?? 0 }, at: vote.at, reason: vote.reason ?? null })
    .catch((err: Error) => ctx.logger.warn('lineage: could not record the vote', { approvalId: a._id, error: err.message }));
}

/** "Already decided by @x at t" / "only admins" — what the loser or the refused user reads. */
export function refusalText(res: Extract<DecideResult, { ok: false }>): string {
  if (res.reason === 'not_admin') return ':no_entry: Only orch admins can decide approvals. Your attempt was recorded.';
  if (res.reason === 'not_found') return ':grey_question: This approval no longer exists.';
  if (res.reason === 'reason_required') return ':pencil: A reason is required to reject.';
  if (res.reason === 'not_approver') return `:no_entry: ${res.message ?? 'You are not one of the approvers of this step.'} Your attempt was recorded.`;
  if (res.reason === 'self_approval') return `:no_entry: ${res.message ?? 'You cannot approve your own record.'} Your attempt was recorded.`;
  if (res.reason === 'already_voted') return ':ballot_box_with_check: Your approval is already counted; the others still have to approve.';
  if (res.status === 'SUPERSEDED') return ':arrows_counterclockwise: Superseded by a newer change to this record: nothing was decided here. Decide on the newer sheet.';
  // A system actor (expiry: 'orch') is named as text, a person is mentioned.
  const who = res.decidedBy ? mention(res.decidedBy) : 'someone else';
  const when = res.decidedAt ? ` at ${res.decidedAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}` : '';
  return `:lock: Already ${res.status === 'EXPIRED' ? 'expired' : 'decided'} by ${who}${when}.`;
}

/** Redraws the sheet in place: decision banner with who and when, buttons gone. */
export async function updateDecidedMessage(ctx: Pick<AppContext, 'slack' | 'logger'>, approval: StoredApproval, where?: { channel?: string | undefined; ts?: string | undefined }): Promise<boolean> {
  const channel = approval.slack?.channel ?? where?.channel;
  const ts = approval.slack?.ts ?? where?.ts;
  const decided = decisionOf(approval);
  // Still pending with votes (N-of-M): redrawn with the progress, buttons kept.
  const voted = Array.isArray((approval as { votes?: unknown }).votes) && ((approval as { votes: unknown[] }).votes.length > 0);
  if (!channel || !ts || (!decided && !voted)) return false;
  const input = sheetInputOf(approval);
  try {
    await ctx.slack.chat.update({ channel, ts, text: decided ? decidedText(input, decided) : sheetText(input), blocks: buildApprovalSheet(input, decided) });
    return true;
  } catch (err) {
    ctx.logger.warn('could not update the approval message', { approvalId: approval._id, error: (err as Error).message });
    return false;
  }
}
