import type { App } from '@slack/bolt';
import type { AppContext } from '../src/context.ts';
import { registerExceptionListeners } from './actions/exceptions.ts';
import { registerApprovalListeners } from './actions/approvals.ts';
import { registerRevealListeners } from './actions/pii-reveal.ts';
import { registerCommands, type SurfaceHooks } from './commands/index.ts';
import { registerSurfaceActions } from './actions/surfaces.ts';
import { registerAppHome } from './events/app-home.ts';
import { registerBacktestSave } from './actions/backtest-save.ts';
import { registerBacktestView } from './views/backtest-submit.ts';
import { registerForgetView } from './views/forget-submit.ts';
import { registerWhyListeners } from './actions/why.ts';

/** Registers every Slack listener; each surface folder adds its own handlers here. */
export function registerListeners(app: App, ctx: AppContext, hooks: SurfaceHooks = {}): void {
  registerApprovalListeners(app, ctx);
  registerExceptionListeners(app, ctx);
  registerRevealListeners(app, ctx);
  registerCommands(app, ctx, hooks);
  registerSurfaceActions(app, ctx);
  registerAppHome(app, ctx);
  registerBacktestView(app, ctx);
  registerForgetView(app, ctx);
  registerBacktestSave(app, ctx);
  registerWhyListeners(app, ctx);
  app.error(async (error) => {
    ctx.logger.error('unhandled Slack listener error', { error: error.message, code: error.code });
  });
}
