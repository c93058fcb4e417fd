import type { AppContext } from '../src/context.ts';
import { audit } from '../src/services/audit.ts';
import type { ResumeDecision } from './types.ts';

type Ctl = Pick<AppContext, 'models' | 'events' | 'logger'>;

/**
 * Hands a stored decision to its run: one conditional update sets `pendingResume` on a run that is
 * waiting (or still finishing the invocation that posted the sheet) and has none yet, then the local
 * engine is woken; engines elsewhere find it by polling. A crash between the Approval's decision and
 * this write is healed by the engine's sweep of decided approvals (WorkflowEngine.sweepDecided).
 */
export async function resumeRun(ctx: Ctl, runId: string, decision: ResumeDecision): Promise<boolean> {
  const res = await ctx.models.Run.updateOne(
    { _id: runId, status: { $in: ['WAITING_APPROVAL', 'RUNNING'] }, pendingResume: { $exists: false } },
    { $set: { pendingResume: decision } },
  );
  ctx.logger.debug('decision handed to the run', { runId, approvalId: decision.approvalId, handed: res.modifiedCount === 1 });
  if (res.modifiedCount === 1) ctx.events.emit('run.resumable', runId);
  return res.modifiedCount === 1;
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
    await ctx.models.Approval.updateMany({ runId, status: 'PENDING' }, { $set: { status: 'EXPIRED', decision: 'expire', decidedBy: actor, decidedAt: now, reason: 'run cancelled' } });
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
