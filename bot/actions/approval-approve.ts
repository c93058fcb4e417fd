import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { decideApproval, refusalText, updateDecidedMessage } from '../../src/services/approvals.ts';

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

/** Approve button (its confirm dialog is client-side): ack first, decide atomically, redraw in place. */
export function approveHandler(ctx: AppContext) {
  return async ({ ack, body, action }: Args): Promise<void> => {
    await ack();
    const actor = body.user.id;
    const channel = body.channel?.id;
    try {
      const res = await decideApproval(ctx, { approvalId: action.value ?? '', decision: 'approve', actor });
      if (!res.ok) return await tellUser(ctx, channel, actor, refusalText(res));
      await updateDecidedMessage(ctx, res.approval, { channel, ts: body.message?.ts });
    } catch (err) {
      ctx.logger.error('approve failed', { approvalId: action.value, error: (err as Error).message });
      await tellUser(ctx, channel, actor, ':warning: The approval could not be recorded; please try again.');
    }
  };
}
