import type { AppContext } from '../src/context.ts';
import { alert } from '../src/services/alerts.ts';
import { ownerEmailOf } from '../src/services/owners.ts';
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

/**
 * A failed run is said out loud: a readable line in ORCH_ALERTS_CHANNEL (the team's record) and
 * an alert through SURFACES' alert service (DM to the owner or admins, deduplicated per key).
 * Never throws: failing to alert must not hide the failure itself, which is on the Run.
 */
export async function reportFailedRun(ctx: Pick<AppContext, 'config' | 'logger' | 'models' | 'slack' | 'metrics' | 'integrations'>, f: FailedRunInfo): Promise<void> {
  // Raw (masked) for the alert builder, which escapes; escaped once here for the channel line.
  const raw = `Run \`${f.runId}\` (${f.workflowId}, ${f.objectType} ${f.objectId}) failed: *${f.errorClass}* — ${maskPii(f.reason, 1500)}`;
  const text = `:rotating_light: ${esc(raw, 2900)}`;
  await ctx.slack.chat.postMessage({ channel: ctx.config.ORCH_ALERTS_CHANNEL, text, unfurl_links: false }).catch((err: Error) => {
    ctx.logger.error('could not post the run failure to the alerts channel', { runId: f.runId, error: err.message });
  });
  // The HubSpot owner of the object hears about it first; without one, the admins do.
  const ownerEmail = await ownerEmailOf(ctx, f.objectType, f.objectId);
  await alert(ctx, { key: `run_failed:${f.workflowId}:${f.errorClass}`, kind: 'run_failed', severity: 'high', text: raw, runId: f.runId, ownerEmail }).catch((err: Error) => {
    ctx.logger.error('could not send the run failure alert', { runId: f.runId, error: err.message });
  });
}
