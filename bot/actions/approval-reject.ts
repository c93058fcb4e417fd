import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { buildRejectModal } from '../../blocks/approval-modals.ts';
import { authorize, roleOf } from '../../src/services/rbac.ts';
import { voterFor } from '../../src/services/approvers.ts';
import type { ApprovalRequirement } from '../../workflows/approval-requirement.ts';
import { approvalExistsSoon, refusalText } from '../../src/services/approvals.ts';
import { tellUser } from './approval-approve.ts';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Reject button: admins get the reason modal; others an ephemeral refusal (audited). */
export function rejectHandler(ctx: AppContext) {
  return async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    const actor = body.user.id;
    const channel = body.channel?.id;
    const approvalId = action.value ?? '';
    try {
      await approvalExistsSoon(ctx.models, approvalId);
      const approval = await ctx.models.Approval.findById(approvalId, { status: 1, title: 1, decidedBy: 1, decidedAt: 1, requirement: 1, level: 1, votes: 1 }).lean();
      if (!approval) return await tellUser(ctx, channel, actor, refusalText({ ok: false, reason: 'not_found' }));
      // N-of-M: the approvers of the current level may reject (decideApproval checks again).
      const level = (approval.requirement as ApprovalRequirement | undefined)?.levels[approval.level ?? 0];
      const mayReject = level && (await roleOf(ctx.models, actor)) !== 'admin' ? Boolean(await voterFor(ctx.models, level.from, actor, [])) : false;
      if (!mayReject && !(await authorize(ctx.models, actor, 'admin', 'approval.reject', approvalId))) {
        return await tellUser(ctx, channel, actor, refusalText({ ok: false, reason: 'not_admin' }));
      }
      if (approval.status !== 'PENDING') {
        return await tellUser(ctx, channel, actor, refusalText({ ok: false, reason: 'already_decided', status: approval.status, ...(approval.decidedBy ? { decidedBy: approval.decidedBy } : {}), ...(approval.decidedAt ? { decidedAt: approval.decidedAt } : {}) }));
      }
      const meta = { approvalId, ...(channel ? { channel } : {}), ...(body.message?.ts ? { ts: body.message.ts } : {}) };
      await client.views.open({ trigger_id: body.trigger_id, view: buildRejectModal(meta, approval.title ?? approvalId) });
    } catch (err) {
      ctx.logger.error('opening the reject modal failed', { approvalId, error: (err as Error).message });
      await tellUser(ctx, channel, actor, ':warning: Could not open the reject dialog; please try again.');
    }
  };
}
