import type { AppContext } from '../context.ts';
import { buildSupersededSheet, supersededText } from '../../blocks/superseded-sheet.ts';
import { audit } from './audit.ts';

/**
 * A decision applies only to what the approver saw (invariant 4): a newer run for the same object
 * and workflow supersedes the older PENDING approval. The older one goes PENDING → SUPERSEDED in
 * one conditional update (a click at the same moment either wins before or is told it is
 * superseded), its run ends CANCELLED with reason `superseded`, and its sheet is redrawn in place
 * without buttons, linking the new sheet. "Newer" is the object's version (hs_lastmodifieddate).
 */
export type SupersedeCtx = Pick<AppContext, 'models' | 'slack' | 'logger' | 'events'>;

export interface NewerApproval {
  approvalId: string;
  runId: string;
  workflowId: string;
  objectType: string;
  objectId: string;
  objectVersion: number | null;
  slack: { channel: string; ts: string };
}

type Older = { _id: string; runId: string; workflowId: string; title?: string; slack?: { channel?: string; ts?: string } };

/** Is there already a sheet for a newer version of this object (then this run is the stale one)? */
export async function newerApprovalExists(ctx: Pick<AppContext, 'models'>, me: Omit<NewerApproval, 'approvalId' | 'slack'>): Promise<boolean> {
  if (me.objectVersion === null) return false;
  const hit = await ctx.models.Approval.exists({ objectType: me.objectType, objectId: me.objectId, workflowId: me.workflowId, runId: { $ne: me.runId }, objectVersion: { $gt: me.objectVersion } });
  return Boolean(hit);
}

export async function supersedeOlder(ctx: SupersedeCtx, newer: NewerApproval, now = new Date()): Promise<number> {
  const version = newer.objectVersion === null ? {} : { $or: [{ objectVersion: { $lt: newer.objectVersion } }, { objectVersion: { $exists: false } }] };
  const older = (await ctx.models.Approval.find({ objectType: newer.objectType, objectId: newer.objectId, workflowId: newer.workflowId, status: 'PENDING', runId: { $ne: newer.runId }, ...version }, { _id: 1 }).lean()) as { _id: string }[];
  if (older.length === 0) return 0;
  const link = await permalink(ctx, newer.slack);
  let n = 0;
  for (const { _id } of older) {
    const a = (await ctx.models.Approval.findOneAndUpdate(
      { _id, status: 'PENDING' },
      { $set: { status: 'SUPERSEDED', decision: 'expire', decidedBy: 'orch', decidedAt: now, reason: 'superseded', supersededBy: { approvalId: newer.approvalId, runId: newer.runId, ...(link ? { link } : {}) } } },
      { returnDocument: 'after', lean: true },
    )) as Older | null;
    if (!a) continue;
    n++;
    await cancelSupersededRun(ctx, a.runId, newer.runId, now);
    await audit(ctx.models, { actor: 'orch', action: 'approval.supersede', target: a._id, details: { runId: a.runId, supersededBy: newer.approvalId, newRunId: newer.runId } });
    await redraw(ctx, a, { workflowId: a.workflowId, title: a.title ?? newer.objectId, link, kind: 'superseded', at: now });
  }
  return n;
}

async function cancelSupersededRun(ctx: SupersedeCtx, runId: string, byRun: string, now: Date): Promise<void> {
  const res = await ctx.models.Run.collection.updateOne(
    { _id: runId as never, status: { $in: ['PENDING', 'WAITING_APPROVAL'] } },
    { $set: { status: 'CANCELLED', finishedAt: now, error: 'superseded', errorClass: 'cancelled', supersededBy: byRun }, $unset: { owner: 1, leaseUntil: 1, pendingResume: 1 } },
  );
  if (res.modifiedCount === 1) ctx.events.emit('run.finished', runId, 'CANCELLED');
}

/** Redraws an older sheet (no buttons, why, link); a failed redraw is logged, the decision already stands. */
export async function redraw(ctx: Pick<AppContext, 'slack' | 'logger'>, a: Older, input: Parameters<typeof buildSupersededSheet>[0]): Promise<void> {
  if (!a.slack?.channel || !a.slack.ts) return;
  try {
    await ctx.slack.chat.update({ channel: a.slack.channel, ts: a.slack.ts, text: supersededText(input), blocks: buildSupersededSheet(input) });
  } catch (err) {
    ctx.logger.warn('could not redraw a superseded approval sheet', { approvalId: a._id, error: (err as Error).message });
  }
}

export async function permalink(ctx: Pick<AppContext, 'slack'>, where: { channel: string; ts: string }): Promise<string | null> {
  try {
    const res = await ctx.slack.chat.getPermalink({ channel: where.channel, message_ts: where.ts });
    return res.permalink ?? null;
  } catch {
    return null;
  }
}
