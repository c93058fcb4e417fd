import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { FORGET_MODAL, FORGET_REASON_BLOCK, FORGET_REASON_INPUT, parseForgetMeta } from '../../blocks/forget-modal.ts';
import { forgetContact, type ForgetResult } from '../../src/services/forget.ts';
import { authorize } from '../../src/services/rbac.ts';
import { tell } from '../actions/exceptions.ts';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export function forgetSummary(r: ForgetResult): string {
  const mirror = { deleted: 'deleted (orch created it)', kept_not_created_by_orch: 'kept (not created by orch)', none: 'none found', not_configured: 'Airtable not configured' }[r.mirror];
  return `:wastebasket: Contact ${r.contactId} forgotten: ${r.events} event(s), ${r.batches} raw batch(es), ${r.runs} run(s), ${r.approvals} approval(s), ${r.exceptions} exception(s) scrubbed; Contacts row ${mirror}; ${r.lineage} lineage node(s) removed. Recorded as pii.forget.`;
}

/** The confirmation modal's submission: reason required, admin re-checked, then the forget and a note to the admin. */
export function registerForgetView(app: App, ctx: AppContext): void {
  app.view(FORGET_MODAL, async ({ ack, body, view }: Args) => {
    const meta = parseForgetMeta(view.private_metadata);
    const reason = String(view.state.values[FORGET_REASON_BLOCK]?.[FORGET_REASON_INPUT]?.value ?? '').trim();
    if (!meta) return void (await ack({ response_action: 'errors', errors: { [FORGET_REASON_BLOCK]: 'This form is no longer valid; run /orch forget contact <id> again.' } }));
    if (!reason) return void (await ack({ response_action: 'errors', errors: { [FORGET_REASON_BLOCK]: 'A reason is required: it is kept in the audit log.' } }));
    await ack();
    const actor = body.user.id;
    try {
      if (!(await authorize(ctx.models, actor, 'admin', 'pii.forget', `contact:${meta.contactId}`))) return await tell(ctx, meta.channelId, actor, ':no_entry: Only orch admins can forget contacts. Your attempt was recorded.');
      const res = await forgetContact(ctx, { contactId: meta.contactId, actor, reason });
      await tell(ctx, meta.channelId, actor, forgetSummary(res));
    } catch (err) {
      ctx.logger.error('forget failed', { contactId: meta.contactId, error: (err as Error).message });
      await tell(ctx, meta.channelId, actor, `:warning: Forgetting contact ${meta.contactId} failed part-way; run it again (it is safe to repeat).`);
    }
  });
}
