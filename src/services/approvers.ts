import type { Models } from '../db/models/index.ts';
import type { ApproverSource } from '../../workflows/approval-requirement.ts';

/**
 * Who may approve: the admins, a list of Slack user ids, or a group's members, plus the delegates
 * of any of them who are away (`/orch delegate`). Groups and delegations live in MongoDB.
 */
type ApproverModels = Pick<Models, 'User' | 'ApproverGroup' | 'Delegation'>;

export const GROUP_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/i;

/** The people a source names right now. */
export async function approversOf(models: ApproverModels, from: ApproverSource): Promise<string[]> {
  if (Array.isArray(from)) return [...new Set(from)];
  if (from === 'admins') {
    const admins = await models.User.find({ role: 'admin' }, { slackUserId: 1 }).limit(200).lean();
    return admins.map((a) => a.slackUserId);
  }
  const group = await models.ApproverGroup.findOne({ name: from.slice('group:'.length).toLowerCase() }, { members: 1 }).lean();
  return group?.members ?? [];
}

/** Active delegations: delegator → delegate. */
export async function activeDelegations(models: ApproverModels, of: string[], now = new Date()): Promise<Map<string, string>> {
  if (of.length === 0) return new Map();
  const docs = await models.Delegation.find({ from: { $in: of }, $or: [{ until: { $exists: false } }, { until: null }, { until: { $gt: now } }] }).limit(500).lean();
  return new Map(docs.map((d) => [d.from, d.to]));
}

export interface VoterIdentity {
  /** Whose approval counts (the approver, or the person the delegate stands in for). */
  voter: string;
  /** Set when a delegate votes for someone away. */
  onBehalfOf?: string;
}

/**
 * Whom `actor`'s vote counts for at a level: themselves when they are an approver and not away
 * (an approver who delegated votes through the delegate), else the first away approver who
 * delegated to them and has not voted yet. Null: not an approver here.
 */
export async function voterFor(models: ApproverModels, from: ApproverSource, actor: string, alreadyVoted: readonly string[], now = new Date()): Promise<VoterIdentity | null> {
  const approvers = await approversOf(models, from);
  const delegations = await activeDelegations(models, approvers, now);
  if (approvers.includes(actor) && !delegations.has(actor)) return { voter: actor };
  for (const [away, delegate] of delegations) {
    if (delegate === actor && !alreadyVoted.includes(away)) return { voter: away, onBehalfOf: away };
  }
  return approvers.includes(actor) ? { voter: actor } : null;
}

/** The people a level asks, delegates in place of those away: "who may still approve". */
export async function askedAt(models: ApproverModels, from: ApproverSource, now = new Date()): Promise<string[]> {
  const approvers = await approversOf(models, from);
  const delegations = await activeDelegations(models, approvers, now);
  return approvers.map((a) => (delegations.has(a) ? `${a}>${delegations.get(a)}` : a));
}
