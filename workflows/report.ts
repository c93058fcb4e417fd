import { writeLine, type IntendedWrite } from '../blocks/approval-sheet.ts';
import { SLACK_LIMITS, truncate } from '../blocks/limits.ts';
import { link, mention, safe } from '../blocks/text.ts';
import type { RunStateValue, SopLink, WorkflowDeps } from './types.ts';

/** The thread reply text: what was written (or, in dry-run, what would have been) and the SOP. */
export function outcomeText(state: Pick<RunStateValue, 'decision' | 'writes' | 'mode' | 'intendedWrites'>, sop: SopLink | null): string {
  const d = state.decision;
  const who = d && d.decision !== 'expire' ? mention(d.actor) : 'nobody';
  const head =
    d?.decision === 'reject'
      ? `:x: Rejected by ${who}${d.reason ? `: ${safe(d.reason, 500)}` : ''}.`
      : d?.decision === 'approve'
        ? `:white_check_mark: Approved by ${who}.`
        : ':information_source: Finished.';
  const writes: IntendedWrite[] = state.writes ?? [];
  const body = writes.length
    ? `${state.mode === 'dry-run' ? '*Dry-run*: nothing was written. Intended writes:' : '*Written:*'}\n${writes.map(writeLine).join('\n')}`
    : '_Nothing was written._';
  const sopLine = sop ? `\n:books: SOP: ${link(sop.url, sop.title)}` : '';
  return truncate(`${head}\n${body}${sopLine}`, SLACK_LIMITS.sectionText);
}

/**
 * Posts the outcome once in the approval's thread. The replyTs slot is claimed first, so a
 * replayed node cannot post twice (at most once: a crash in between loses the reply, not the write).
 */
export async function postOutcome(deps: WorkflowDeps, state: RunStateValue, sop: SopLink | null): Promise<void> {
  if (!state.approvalId) return;
  const { Approval } = deps.ctx.models;
  const claimed = (await Approval.findOneAndUpdate(
    { _id: state.approvalId, 'slack.ts': { $exists: true }, 'slack.replyTs': { $exists: false } },
    { $set: { 'slack.replyTs': 'posting' } },
    { returnDocument: 'after', lean: true },
  )) as { slack?: { ts?: string | null; channel?: string | null } | null } | null;
  if (!claimed?.slack?.ts || !claimed.slack.channel) return;
  try {
    const res = await deps.ctx.slack.chat.postMessage({ channel: claimed.slack.channel, thread_ts: claimed.slack.ts, text: outcomeText(state, sop), unfurl_links: false });
    await Approval.updateOne({ _id: state.approvalId }, { $set: { 'slack.replyTs': res.ts } });
  } catch (err) {
    // The run's writes are done; a lost thread reply is logged, not a failed run.
    deps.ctx.logger.warn('could not post the outcome in the approval thread', { runId: state.runId, error: (err as Error).message });
  }
}
