import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, RespondArguments, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { ALERT_ACTIONS } from '../../blocks/alerts.ts';
import { esc, safe } from '../../blocks/text.ts';
import { buildRunList, RUNS_MORE_ACTION } from '../../blocks/run-list.ts';
import { authorize } from '../../src/services/rbac.ts';
import { decodeCursor, encodeCursor, listRuns } from '../../src/services/run-list.ts';
import { retryRun } from '../../workflows/run-control.ts';
import { applyMode, MODE_ACTIONS } from '../commands/mode.ts';
import { runDetailReply } from '../commands/run.ts';
import { publishHome } from '../events/app-home.ts';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
type Answer = { text: string; blocks?: unknown[]; replace_original?: boolean };

/** Answers the clicking user: through response_url in messages; on the Home tab (none) by re-publishing it. */
async function answer(ctx: AppContext, args: Args, msg: Answer): Promise<void> {
  try {
    if (args.body.response_url) await args.respond({ response_type: 'ephemeral', replace_original: false, ...msg } as RespondArguments);
    else if (args.body.view?.type === 'home') await publishHome(ctx, args.body.user.id);
    else await ctx.slack.chat.postMessage({ channel: args.body.user.id, text: msg.text });
  } catch (err) {
    ctx.logger.warn('could not answer a button click', { action: args.action.action_id, error: (err as Error).message });
  }
}

function guarded(ctx: AppContext, name: string, fn: (a: Args) => Promise<Answer | null>) {
  return async (args: Args): Promise<void> => {
    await args.ack();
    try {
      const msg = await fn(args);
      if (msg) await answer(ctx, args, msg);
    } catch (err) {
      ctx.logger.error('button handler failed', { action: name, error: (err as Error).message });
      await answer(ctx, args, { text: ':warning: That did not work; please try again.' });
    }
  };
}

/** "More" under `/orch runs`, the mode confirmation, and the DM alert buttons. */
export function registerSurfaceActions(app: App, ctx: AppContext): void {
  app.action<BlockAction<ButtonAction>>(
    RUNS_MORE_ACTION,
    guarded(ctx, RUNS_MORE_ACTION, async ({ action }) => {
      const cursor = decodeCursor(action.value ?? '');
      if (!cursor) return { text: 'That page has expired; run `/orch runs` again.' };
      const page = await listRuns(ctx, cursor, cursor);
      return buildRunList({
        runs: page.runs,
        filters: { status: cursor.status, workflow: cursor.workflow, sinceText: cursor.sinceText },
        next: page.next ? encodeCursor(page.next) : null,
        now: new Date(),
        page: cursor.page,
      });
    }),
  );

  app.action<BlockAction<ButtonAction>>(
    MODE_ACTIONS.confirmLive,
    guarded(ctx, MODE_ACTIONS.confirmLive, async ({ body }) => {
      if (!(await authorize(ctx.models, body.user.id, 'admin', 'slack.mode.live', 'mode'))) return { text: 'Only admins can switch the mode.', replace_original: true };
      return { text: await applyMode(ctx, 'live', body.user.id), replace_original: true };
    }),
  );
  app.action<BlockAction<ButtonAction>>(
    MODE_ACTIONS.cancel,
    guarded(ctx, MODE_ACTIONS.cancel, async () => ({ text: 'Staying in dry-run.', replace_original: true })),
  );

  app.action<BlockAction<ButtonAction>>(
    ALERT_ACTIONS.viewRun,
    guarded(ctx, ALERT_ACTIONS.viewRun, async ({ action }) => runDetailReply(ctx, action.value ?? '') as Promise<Answer>),
  );
  app.action<BlockAction<ButtonAction>>(
    ALERT_ACTIONS.retryRun,
    guarded(ctx, ALERT_ACTIONS.retryRun, async ({ action, body }) => {
      const runId = action.value ?? '';
      if (!(await authorize(ctx.models, body.user.id, 'operator', 'slack.run.retry', runId))) return { text: 'Retrying needs the operator or admin role.' };
      const ok = await retryRun(ctx, runId, body.user.id);
      return { text: ok ? `:repeat: Run \`${runId}\` is queued again.` : `Run \`${runId}\` is no longer FAILED; nothing to retry.` };
    }),
  );
  app.action<BlockAction<ButtonAction>>(
    ALERT_ACTIONS.viewException,
    guarded(ctx, ALERT_ACTIONS.viewException, async ({ action }) => {
      const e = await ctx.models.Exception.findById(action.value ?? '', { type: 1, status: 1, title: 1, objectType: 1, objectId: 1, occurrences: 1 }).lean();
      if (!e) return { text: `No exception \`${esc(action.value)}\`.` };
      return { text: `Exception \`${esc(e._id)}\` (${esc(e.type)}, ${esc(e.status)}): ${e.title ? safe(e.title, 300) : esc(`${e.objectType} ${e.objectId}`)} — seen ${e.occurrences ?? 1}×. Fix it from its card in the exceptions channel or \`/orch exceptions\`.` };
    }),
  );
  // URL buttons open their link in the browser; Slack still sends the click, which only needs an ack.
  app.action(new RegExp(`^${ALERT_ACTIONS.linkPrefix}\\d+$`), async ({ ack }) => {
    await ack();
  });
}
