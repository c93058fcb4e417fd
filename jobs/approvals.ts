import type { AppContext } from '../src/context.ts';
import { escapeMrkdwn, truncate } from '../blocks/limits.ts';
import { maskPii } from '../blocks/pii.ts';
import { audit } from '../src/services/audit.ts';
import { updateDecidedMessage, type StoredApproval } from '../src/services/approvals.ts';
import { alert } from '../src/services/alerts.ts';
import { cancelRun } from '../workflows/run-control.ts';

export const REMIND_JOB = 'approvals:remind';
export const EXPIRE_JOB = 'approvals:expire';
export const ESCALATE_JOB = 'approvals:escalate';
const BATCH = 50;

async function adminIds(ctx: Pick<AppContext, 'models'>): Promise<string[]> {
  const admins = await ctx.models.User.find({ role: 'admin' }, { slackUserId: 1 }).limit(50).lean();
  return admins.map((a) => a.slackUserId);
}

/**
 * DMs the admins once per approval that has waited longer than ORCH_APPROVAL_REMIND. "Once" is the
 * conditional update that sets remindedAt: of two sweeping workers only one gets it.
 */
export async function remindApprovals(ctx: AppContext, now = new Date()): Promise<number> {
  const { Approval } = ctx.models;
  const dueFilter = { status: 'PENDING' as const, remindedAt: { $exists: false }, requestedAt: { $lt: new Date(now.getTime() - ctx.config.ORCH_APPROVAL_REMIND) } };
  const due = await Approval.find(dueFilter, { _id: 1 }).sort({ requestedAt: 1 }).limit(BATCH).lean();
  if (due.length === 0) return 0;
  const admins = await adminIds(ctx);
  let sent = 0;
  for (const { _id } of due) {
    const a = await Approval.findOneAndUpdate({ _id, ...dueFilter }, { $set: { remindedAt: now } }, { returnDocument: 'after', lean: true });
    if (!a) continue;
    // N-of-M: the people the current level asks who have not voted (a delegate in place of someone away).
    const voted = new Set(((a.votes ?? []) as { voter: string; by: string }[]).flatMap((v) => [v.voter, v.by]));
    const asked = (a.levelApprovers ?? []).filter((u) => !voted.has(u.split('>')[0] as string)).map((u) => u.split('>').at(-1) as string);
    const hours = Math.round((now.getTime() - a.requestedAt.getTime()) / 360_000) / 10;
    const where = a.slack?.channel ? ` in <#${a.slack.channel}>` : '';
    const text = truncate(`:alarm_clock: Approval \`${a._id}\` (${a.workflowId} · ${escapeMrkdwn(maskPii(a.title ?? a.objectId, 200))}) has waited ${hours} h${where}.`, 3000);
    for (const user of a.levelApprovers?.length ? asked : admins) {
      await ctx.slack.chat.postMessage({ channel: user, text }).catch((err: Error) => ctx.logger.warn('approval reminder DM failed', { user, error: err.message }));
    }
    sent += 1;
  }
  return sent;
}

/** A link to the sheet: Slack's archive URL form, which opens the message in the client. */
function sheetLink(slack: { channel?: string | null; ts?: string | null } | null | undefined): string {
  if (!slack?.channel || !slack.ts) return '';
  return ` <https://slack.com/archives/${slack.channel}/p${slack.ts.replace('.', '')}|Open the sheet>`;
}

/**
 * Approvals still waiting after ORCH_APPROVAL_ESCALATE: posted once to ORCH_ESCALATION_CHANNEL (or
 * DMed to the admins) with the sheet linked, audited `approval.escalate`. "Once" is the conditional
 * update setting escalatedAt: of two sweeping workers only one gets it.
 */
export async function escalateApprovals(ctx: AppContext, now = new Date()): Promise<number> {
  const { Approval } = ctx.models;
  const dueFilter = { status: 'PENDING' as const, escalatedAt: { $exists: false }, requestedAt: { $lt: new Date(now.getTime() - ctx.config.ORCH_APPROVAL_ESCALATE) } };
  const due = await Approval.find(dueFilter, { _id: 1 }).sort({ requestedAt: 1 }).limit(BATCH).lean();
  let sent = 0;
  for (const { _id } of due) {
    const a = await Approval.findOneAndUpdate({ _id, ...dueFilter }, { $set: { escalatedAt: now } }, { returnDocument: 'after', lean: true });
    if (!a) continue;
    const hours = Math.round((now.getTime() - a.requestedAt.getTime()) / 360_000) / 10;
    const still = (a.levelApprovers ?? []).map((u) => `<@${u.split('>').at(-1)}>`).join(', ');
    const text = truncate(`:rotating_light: Escalated: approval \`${a._id}\` (${a.workflowId} · ${escapeMrkdwn(maskPii(a.title ?? a.objectId, 200))}) has waited ${hours} h without a decision.${still ? ` Asked: ${still}.` : ''}${sheetLink(a.slack)}`, 3000);
    const targets = ctx.config.ORCH_ESCALATION_CHANNEL ? [ctx.config.ORCH_ESCALATION_CHANNEL] : await adminIds(ctx);
    for (const channel of targets) {
      await ctx.slack.chat.postMessage({ channel, text }).catch((err: Error) => ctx.logger.warn('approval escalation post failed', { channel, error: err.message }));
    }
    await audit(ctx.models, { actor: 'orch', action: 'approval.escalate', target: a._id, details: { runId: a.runId, waitedHours: hours, to: ctx.config.ORCH_ESCALATION_CHANNEL ?? 'admins' } });
    sent += 1;
  }
  return sent;
}

/** Approvals older than ORCH_APPROVAL_TTL: EXPIRED, their run CANCELLED, the message redrawn. */
export async function expireApprovals(ctx: AppContext, now = new Date()): Promise<number> {
  const { Approval } = ctx.models;
  const due = await Approval.find({ status: 'PENDING', requestedAt: { $lt: new Date(now.getTime() - ctx.config.ORCH_APPROVAL_TTL) } }, { _id: 1 }).limit(BATCH).lean();
  let expired = 0;
  for (const { _id } of due) {
    // The same PENDING guard as a human decision: expiry and a last-second click cannot both win.
    const a = (await Approval.findOneAndUpdate(
      { _id, status: 'PENDING' },
      { $set: { status: 'EXPIRED', decision: 'expire', decidedBy: 'orch', decidedAt: now, reason: `no decision within ${Math.round(ctx.config.ORCH_APPROVAL_TTL / 3_600_000)} h` } },
      { returnDocument: 'after', lean: true },
    )) as unknown as StoredApproval | null;
    if (!a) continue;
    expired += 1;
    await cancelRun(ctx, a.runId, 'orch:approval-expiry');
    await audit(ctx.models, { actor: 'orch', action: 'approval.expire', target: a._id, details: { runId: a.runId, policy: a.policy ?? null } });
    await updateDecidedMessage(ctx, a);
    await alert(ctx, { key: `approval_expired:${a.workflowId}`, kind: 'approval_expired', severity: 'medium', text: `Approval ${a._id} (${a.workflowId} · ${maskPii(a.title ?? a.objectId, 200)}) expired; run ${a.runId} was cancelled.`, runId: a.runId }).catch(
      (err: Error) => ctx.logger.warn('approval expiry alert failed', { error: err.message }),
    );
  }
  return expired;
}

export async function registerApprovalJobs(ctx: AppContext): Promise<void> {
  ctx.agenda.define(REMIND_JOB, async () => void (await remindApprovals(ctx)), { concurrency: 1 });
  ctx.agenda.define(EXPIRE_JOB, async () => void (await expireApprovals(ctx)), { concurrency: 1 });
  ctx.agenda.define(ESCALATE_JOB, async () => void (await escalateApprovals(ctx)), { concurrency: 1 });
  if (ctx.config.ORCH_ROLE === 'web') return;
  await ctx.agenda.every(ctx.config.ORCH_APPROVAL_SWEEP, REMIND_JOB);
  await ctx.agenda.every(ctx.config.ORCH_APPROVAL_SWEEP, EXPIRE_JOB);
  await ctx.agenda.every(ctx.config.ORCH_APPROVAL_SWEEP, ESCALATE_JOB);
}
