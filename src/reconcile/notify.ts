import type { AppContext } from '../context.ts';
import { alert } from '../services/alerts.ts';
import { buildExceptionCard, buildExceptionList, exceptionSummary, exceptionText } from '../../blocks/exception-card.ts';
import { buildReconcileSummary, summaryText, type ReconcileSummaryInput } from '../../blocks/reconcile-summary.ts';
import type { ExceptionView } from './exceptions.ts';
import { ownerEmailOf } from '../services/owners.ts';

/**
 * Slack side of reconciliation: the summary and the exception cards go to ORCH_ALERTS_CHANNEL;
 * high severity also DMs the owner (or the admins) through the shared alerts service.
 * Slack failures are logged, never allowed to fail the reconciliation that produced them.
 */
export type NotifyCtx = Pick<AppContext, 'config' | 'logger' | 'models' | 'slack' | 'metrics' | 'integrations'>;

/** Up to this many new exceptions get a card each; more become one list message. */
export const CARDS_PER_RUN = 5;

export async function postSummary(ctx: NotifyCtx, report: ReconcileSummaryInput): Promise<void> {
  try {
    await ctx.slack.chat.postMessage({ channel: ctx.config.ORCH_ALERTS_CHANNEL, text: summaryText(report), blocks: buildReconcileSummary(report) });
  } catch (err) {
    ctx.logger.error('could not post the reconciliation summary', { reportId: report._id, error: (err as Error).message });
  }
}

/** The CRM object whose HubSpot owner should hear about an exception (a dead letter names its run's object). */
function ownerTarget(e: ExceptionView): { objectType: string; objectId: string } {
  const d = e.details ?? {};
  if (e.objectType === 'run' && typeof d.objectType === 'string' && typeof d.objectId === 'string') return { objectType: d.objectType, objectId: d.objectId };
  return { objectType: e.objectType, objectId: e.objectId };
}

/**
 * Cards in ORCH_ALERTS_CHANNEL, and a DM for high severity unless `dm: false` (a failed run's
 * dead letter: reportFailedRun sends that run's one DM).
 */
export async function postExceptionCards(ctx: NotifyCtx, exceptions: readonly ExceptionView[], opts: { dm?: boolean } = {}): Promise<void> {
  if (exceptions.length === 0) return;
  try {
    if (exceptions.length <= CARDS_PER_RUN) {
      for (const e of exceptions) {
        const res = await ctx.slack.chat.postMessage({ channel: ctx.config.ORCH_ALERTS_CHANNEL, text: exceptionText(e), blocks: buildExceptionCard(e) });
        if (res.ts) await ctx.models.Exception.updateOne({ _id: e._id }, { $set: { slack: { channel: res.channel ?? ctx.config.ORCH_ALERTS_CHANNEL, ts: res.ts } } });
      }
    } else {
      await ctx.slack.chat.postMessage({ channel: ctx.config.ORCH_ALERTS_CHANNEL, text: `${exceptions.length} new exceptions`, blocks: buildExceptionList([...exceptions]) });
    }
  } catch (err) {
    ctx.logger.error('could not post exception cards', { count: exceptions.length, error: (err as Error).message });
  }
  for (const e of exceptions.filter((x) => x.severity === 'high' && opts.dm !== false)) {
    const target = ownerTarget(e);
    const ownerEmail = await ownerEmailOf(ctx, target.objectType, target.objectId);
    await alert(ctx, { key: `exception:${e.type}:${e.objectType}:${e.objectId}`, kind: 'exception', severity: 'high', text: exceptionSummary(e), exceptionId: e._id, ownerEmail }).catch((err: Error) =>
      ctx.logger.error('could not DM a high-severity exception', { exceptionId: e._id, error: err.message }),
    );
  }
}

/** Re-renders an exception's own card after a decision (when it was posted as a card). */
export async function refreshCard(ctx: NotifyCtx, e: ExceptionView, at?: { channel: string; ts: string }): Promise<void> {
  const where = at ?? (e.slack?.channel && e.slack.ts ? { channel: e.slack.channel, ts: e.slack.ts } : undefined);
  if (!where) return;
  try {
    await ctx.slack.chat.update({ channel: where.channel, ts: where.ts, text: exceptionText(e), blocks: buildExceptionCard(e) });
  } catch (err) {
    ctx.logger.warn('could not update the exception card', { exceptionId: e._id, error: (err as Error).message });
  }
}
