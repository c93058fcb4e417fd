import type { App } from '@slack/bolt';
import type { AppContext } from '../src/context.ts';
import { registerExceptionListeners } from './actions/exceptions.ts';
import { registerApprovalListeners } from './actions/approvals.ts';

/** Registers every Slack listener; each surface folder adds its own handlers here. */
export function registerListeners(app: App, ctx: AppContext): void {
  registerApprovalListeners(app, ctx);
  registerExceptionListeners(app, ctx);
  app.error(async (error) => {
    ctx.logger.error('unhandled Slack listener error', { error: error.message, code: error.code });
  });
}
