import type { AppContext } from '../src/context.ts';
import { alert } from '../src/services/alerts.ts';
import { ownerEmailOf } from '../src/services/owners.ts';
import { recordFailedRun } from '../src/reconcile/dlq.ts';
import { postExceptionCards } from '../src/reconcile/notify.ts';
import { maskPii } from '../blocks/pii.ts';
import { esc } from '../blocks/text.ts';

export interface FailedRunInfo {
  runId: string;
  workflowId: string;
  objectType: string;
  objectId: string;
  errorClass: string;
  reason: string;
}

type FailureCtx = Pick<AppContext, 'config' | 'logger' | 'models' | 'slack' | 'metrics' | 'integrations'>;

/**
 * A failed run is said out loud ONCE: one post in ORCH_ALERTS_CHANNEL, its dead-letter card with a
 * Retry button (whoever records the dead letter first, this or the 'run.finished' listener, posts
 * it; the other finds it recorded), and one DM through SURFACES' alert service to the HubSpot owner
 * of the run's object, or the admins. Never throws: failing to alert must not hide the failure
 * itself, which is on the Run.
 */
export async function reportFailedRun(ctx: FailureCtx, f: FailedRunInfo): Promise<void> {
  // Raw (masked) for the alert builder, which escapes.
  const raw = `Run \`${f.runId}\` (${f.workflowId}, ${f.objectType} ${f.objectId}) failed: *${f.errorClass}* — ${maskPii(f.reason, 1500)}`;
  try {
    const dead = await recordFailedRun(ctx, f.runId);
    if (dead?.isNew) await postExceptionCards(ctx, [dead.exception], { dm: false });
  } catch (err) {
    // Without a dead letter the channel still hears about it, as a plain line.
    ctx.logger.error('could not dead-letter the failed run; posting a plain alert line', { runId: f.runId, error: (err as Error).message });
    await ctx.slack.chat.postMessage({ channel: ctx.config.ORCH_ALERTS_CHANNEL, text: `:rotating_light: ${esc(raw, 2900)}`, unfurl_links: false }).catch((e: Error) => {
      ctx.logger.error('could not post the run failure to the alerts channel', { runId: f.runId, error: e.message });
    });
  }
  // The HubSpot owner of the object hears about it first; without one (or for a non-CRM object), the admins do.
  const ownerEmail = await ownerEmailOf(ctx, f.objectType, f.objectId);
  await alert(ctx, { key: `run_failed:${f.workflowId}:${f.errorClass}`, kind: 'run_failed', severity: 'high', text: raw, runId: f.runId, ownerEmail }).catch((err: Error) => {
    ctx.logger.error('could not send the run failure alert', { runId: f.runId, error: err.message });
  });
}
