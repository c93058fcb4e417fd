import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { buildDetailsModal } from '../../blocks/approval-modals.ts';
import { sheetInputOf, type ApprovalLike } from '../../src/services/approval-view.ts';
import { approvalExistsSoon } from '../../src/services/approvals.ts';
import { tellUser } from './approval-approve.ts';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Details button: full diff, writes and run steps in a modal (read-only, anyone may look). */
export function detailsHandler(ctx: AppContext) {
  return async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    const approvalId = action.value ?? '';
    try {
      await approvalExistsSoon(ctx.models, approvalId);
      const approval = await ctx.models.Approval.findById(approvalId).lean();
      if (!approval) return await tellUser(ctx, body.channel?.id, body.user.id, ':grey_question: This approval no longer exists.');
      const run = await ctx.models.Run.findById(approval.runId, { steps: 1, status: 1 }).lean();
      const steps = (run?.steps ?? []).map((s) => ({ name: s.name, status: s.status, attempt: s.attempt ?? 1, ...(s.durationMs == null ? {} : { durationMs: s.durationMs }), ...(s.error ? { error: s.error } : {}) }));
      await client.views.open({ trigger_id: body.trigger_id, view: buildDetailsModal(sheetInputOf(approval as unknown as ApprovalLike), steps, run?.status ?? 'unknown') });
    } catch (err) {
      ctx.logger.error('opening the details modal failed', { approvalId, error: (err as Error).message });
      await tellUser(ctx, body.channel?.id, body.user.id, ':warning: Could not open the details; please try again.');
    }
  };
}
