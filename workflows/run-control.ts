import type { AppContext } from '../src/context.ts';
import { audit } from '../src/services/audit.ts';
import { claimOnce, DECISION_CLAIMS } from '../src/services/claims.ts';
import type { ResumeDecision } from './types.ts';

type Ctl = Pick<AppContext, 'models' | 'events' | 'logger'>;

/**
 * Hands a decision to the run. The decision is already stored on the Approval (claim-protected);
 * this only wakes the engine, which writes it to the Run through its own write chain (on FerretDB a
 * second, concurrent writer of the Run document could undo the engine's writes). Engines on other
 * instances find decided approvals of waiting runs by polling.
 */
export async function resumeRun(ctx: Ctl, runId: string, decision: ResumeDecision): Promise<boolean> {
  ctx.logger.debug('decision handed to the engine', { runId, approvalId: decision.approvalId });
  ctx.events.emit('approval.decided', decision.approvalId);
  return true;
}

/** A FAILED run goes back to PENDING; the engine continues it from its last checkpoint. */
export async function retryRun(ctx: Ctl, runId: string, actor = 'system'): Promise<boolean> {
  const res = await ctx.models.Run.updateOne(
    { _id: runId, status: 'FAILED' },
    { $set: { status: 'PENDING', retried: true }, $unset: { error: 1, errorClass: 1, finishedAt: 1, owner: 1, leaseUntil: 1 } },
  );
  if (res.modifiedCount === 0) return false;
  await audit(ctx.models, { actor, action: 'run.retry', target: runId });
  ctx.events.emit('run.created', runId);
  return true;
}

/**
 * Cancels a run that has not finished: PENDING, WAITING_APPROVAL and FAILED at once (with their
 * pending approvals expired); a RUNNING one stops before its next step.
 */
export async function cancelRun(ctx: Ctl, runId: string, actor: string): Promise<'cancelled' | 'requested' | 'not_cancellable'> {
  const now = new Date();
  const res = await ctx.models.Run.updateOne(
    { _id: runId, status: { $in: ['PENDING', 'WAITING_APPROVAL', 'FAILED'] } },
    { $set: { status: 'CANCELLED', finishedAt: now, forcedBy: actor }, $unset: { owner: 1, leaseUntil: 1 } },
  );
  if (res.modifiedCount === 1) {
    const pending = await ctx.models.Approval.find({ runId, status: 'PENDING' }, { _id: 1 }).lean();
    for (const { _id } of pending) {
      if (!(await claimOnce(ctx.models.Approval, DECISION_CLAIMS, _id, { decision: 'expire', actor }))) continue;
      await ctx.models.Approval.updateOne({ _id, status: 'PENDING' }, { $set: { status: 'EXPIRED', decision: 'expire', decidedBy: actor, decidedAt: now, reason: 'run cancelled' } });
    }
    await audit(ctx.models, { actor, action: 'run.cancel', target: runId });
    ctx.events.emit('run.finished', runId, 'CANCELLED');
    return 'cancelled';
  }
  const running = await ctx.models.Run.updateOne({ _id: runId, status: 'RUNNING' }, { $set: { cancelRequested: true } });
  if (running.modifiedCount === 1) {
    await audit(ctx.models, { actor, action: 'run.cancel_requested', target: runId });
    return 'requested';
  }
  return 'not_cancellable';
}
