import type { App, BlockAction, ButtonAction, ViewSubmitAction } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { APPROVAL_ACTIONS } from '../../blocks/approval-sheet.ts';
import { REJECT_MODAL } from '../../blocks/approval-modals.ts';
import { CHOICE_ACTIONS } from '../../blocks/approval-choice.ts';
import { approveHandler } from './approval-approve.ts';
import { detailsHandler } from './approval-details.ts';
import { rejectHandler } from './approval-reject.ts';
import { rejectSubmitHandler } from '../views/approval-reject-submit.ts';

/** The approval sheet's buttons and the reject modal. */
export function registerApprovalListeners(app: App, ctx: AppContext): void {
  app.action<BlockAction<ButtonAction>>(APPROVAL_ACTIONS.approve, approveHandler(ctx));
  app.action<BlockAction<ButtonAction>>(APPROVAL_ACTIONS.reject, rejectHandler(ctx));
  app.action<BlockAction<ButtonAction>>(APPROVAL_ACTIONS.details, detailsHandler(ctx));
  app.view<ViewSubmitAction>(REJECT_MODAL.callbackId, rejectSubmitHandler(ctx));
  // Picking a role / slot on a sheet only acks: the value is read from state.values at Approve.
  for (const id of Object.values(CHOICE_ACTIONS)) app.action(id, async ({ ack }) => void (await ack()));
}
