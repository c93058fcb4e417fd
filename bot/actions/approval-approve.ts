import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { decideApproval, refusalText, updateDecidedMessage } from '../../src/services/approvals.ts';
import { CHOICE_BLOCK_ID, chosenFromState, type ApprovalChoice } from '../../blocks/approval-choice.ts';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Tells only the clicking user (ephemeral in the channel, else a DM). */
export async function tellUser(ctx: Pick<AppContext, 'slack' | 'logger'>, channel: string | undefined, user: string, text: string): Promise<void> {
  try {
    if (channel) await ctx.slack.chat.postEphemeral({ channel, user, text });
    else await ctx.slack.chat.postMessage({ channel: user, text });
  } catch (err) {
    ctx.logger.warn('could not tell the user', { user, error: (err as Error).message });
  }
}

/**
 * The role / slot picked on the sheet before Approve, from the click's `state.values`; only a value
 * the stored choice offers counts. No picker in the state: nothing (the workflow uses the preselected one).
 */
async function chosenOnSheet(ctx: AppContext, approvalId: string, state: unknown): Promise<string | undefined> {
  if (!(state as { values?: Record<string, unknown> } | undefined)?.values?.[CHOICE_BLOCK_ID]) return undefined;
  const stored = await ctx.models.Approval.findById(approvalId, { choice: 1 }).lean();
  return chosenFromState(state, (stored?.choice ?? undefined) as ApprovalChoice | undefined);
}

/** Approve button (its confirm dialog is client-side): ack first, decide atomically, redraw in place. */
export function approveHandler(ctx: AppContext) {
  return async ({ ack, body, action }: Args): Promise<void> => {
    await ack();
    const actor = body.user.id;
    const channel = body.channel?.id;
    try {
      const chosen = await chosenOnSheet(ctx, action.value ?? '', body.state);
      const res = await decideApproval(ctx, { approvalId: action.value ?? '', decision: 'approve', actor, ...(chosen ? { chosen } : {}) });
      if (!res.ok) return await tellUser(ctx, channel, actor, refusalText(res));
      await updateDecidedMessage(ctx, res.approval, { channel, ts: body.message?.ts });
      if (res.pending) await tellUser(ctx, channel, actor, ':ballot_box_with_check: Your approval is counted; the sheet shows who else still has to approve.');
    } catch (err) {
      ctx.logger.error('approve failed', { approvalId: action.value, error: (err as Error).message });
      await tellUser(ctx, channel, actor, ':warning: The approval could not be recorded; please try again.');
    }
  };
}
