import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { parseRejectMeta, REJECT_MODAL } from '../../blocks/approval-modals.ts';
import { decideApproval, refusalText, updateDecidedMessage } from '../../src/services/approvals.ts';
import { tellUser } from '../actions/approval-approve.ts';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** Reject modal submitted: an empty reason keeps the modal open with an error; else decide. */
export function rejectSubmitHandler(ctx: AppContext) {
  return async ({ ack, body, view }: Args): Promise<void> => {
    const reason = view.state.values[REJECT_MODAL.blockId]?.[REJECT_MODAL.actionId]?.value?.trim() ?? '';
    const meta = parseRejectMeta(view.private_metadata);
    if (!reason) {
      await ack({ response_action: 'errors', errors: { [REJECT_MODAL.blockId]: 'Please give a reason for the rejection.' } });
      return;
    }
    if (!meta) {
      await ack({ response_action: 'errors', errors: { [REJECT_MODAL.blockId]: 'This dialog is no longer valid; reopen it from the message.' } });
      ctx.logger.warn('reject modal without valid private_metadata', { user: body.user.id });
      return;
    }
    await ack();
    const actor = body.user.id;
    try {
      const res = await decideApproval(ctx, { approvalId: meta.approvalId, decision: 'reject', actor, reason });
      if (!res.ok) return await tellUser(ctx, meta.channel, actor, refusalText(res));
      await updateDecidedMessage(ctx, res.approval, meta);
    } catch (err) {
      ctx.logger.error('reject failed', { approvalId: meta.approvalId, error: (err as Error).message });
      await tellUser(ctx, meta.channel, actor, ':warning: The rejection could not be recorded; please try again.');
    }
  };
}
