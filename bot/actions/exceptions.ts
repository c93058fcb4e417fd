import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { buildExceptionCard, buildIgnoreModal, EXCEPTION_ACTIONS } from '../../blocks/exception-card.ts';
import { mrkdwn } from '../../blocks/limits.ts';
import { safe } from '../../blocks/text.ts';
import { getException } from '../../src/reconcile/exceptions.ts';
import { applyFix, assignException, previewFix, type FixResult } from '../../src/reconcile/fixes.ts';
import { refreshCard } from '../../src/reconcile/notify.ts';
import { authorize } from '../../src/services/rbac.ts';
import { registerIgnoreView } from '../views/exception-ignore.ts';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Exception card buttons: ack first, then the work; every outcome is told to the clicker. */
export function registerExceptionListeners(app: App, ctx: AppContext): void {
  app.action(EXCEPTION_ACTIONS.preview, previewHandler(ctx));
  app.action(EXCEPTION_ACTIONS.apply, applyHandler(ctx));
  app.action(EXCEPTION_ACTIONS.ignore, ignoreHandler(ctx));
  app.action(EXCEPTION_ACTIONS.assign, assignHandler(ctx));
  registerIgnoreView(app, ctx);
}

/** Tells only the clicking user; `text` is raw (outside values included): masked and escaped here. */
export async function tell(ctx: Pick<AppContext, 'slack' | 'logger'>, channel: string | undefined, user: string, text: string, blocks?: unknown[]): Promise<void> {
  try {
    const extra = blocks ? { blocks: blocks as never } : {};
    if (channel) await ctx.slack.chat.postEphemeral({ channel, user, text: safe(text, 3000), ...extra });
    else await ctx.slack.chat.postMessage({ channel: user, text: safe(text, 3000), ...extra });
  } catch (err) {
    ctx.logger.warn('could not tell the user', { user, error: (err as Error).message });
  }
}

/** Where the clicked card lives, unless it is an ephemeral message (those cannot be edited). */
function cardAt(body: BlockAction): { channel: string; ts: string } | undefined {
  const container = body.container as { is_ephemeral?: boolean } | undefined;
  if (container?.is_ephemeral || !body.channel?.id || !body.message?.ts) return undefined;
  return { channel: body.channel.id, ts: body.message.ts };
}

function previewHandler(ctx: AppContext) {
  return async ({ ack, body, action }: Args): Promise<void> => {
    await ack();
    const user = body.user.id;
    try {
      const res = await previewFix(ctx, action.value ?? '');
      if (!res.ok) return await tell(ctx, body.channel?.id, user, res.message);
      const blocks = [...buildExceptionCard(res.exception), { type: 'section', text: mrkdwn(`*Preview (dry run): the exact writes*\n${safe(res.message, 2800)}`) }];
      await tell(ctx, body.channel?.id, user, `Preview: ${res.exception.title ?? res.exception._id}`, blocks);
    } catch (err) {
      ctx.logger.error('exception preview failed', { exceptionId: action.value, error: (err as Error).message });
      await tell(ctx, body.channel?.id, user, ':warning: Could not build the preview; please try again.');
    }
  };
}

function applyHandler(ctx: AppContext) {
  return async ({ ack, body, action }: Args): Promise<void> => {
    await ack();
    const user = body.user.id;
    try {
      const res = await applyFix(ctx, { id: action.value ?? '', actor: user });
      await report(ctx, body, res);
    } catch (err) {
      ctx.logger.error('exception apply failed', { exceptionId: action.value, error: (err as Error).message });
      await tell(ctx, body.channel?.id, user, ':warning: The fix could not be applied; nothing was marked fixed. Please try again.');
    }
  };
}

function ignoreHandler(ctx: AppContext) {
  return async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    const user = body.user.id;
    const id = action.value ?? '';
    try {
      if (!(await authorize(ctx.models, user, 'admin', 'exception.ignore', id))) return await tell(ctx, body.channel?.id, user, 'Only admins can ignore exceptions.');
      const exc = await getException(ctx.models, id);
      if (!exc) return await tell(ctx, body.channel?.id, user, `No exception ${id}.`);
      if (exc.status !== 'open') return await tell(ctx, body.channel?.id, user, `This exception is already ${exc.status}${exc.resolvedBy ? ` by ${exc.resolvedBy}` : ''}.`);
      const at = cardAt(body);
      await client.views.open({ trigger_id: body.trigger_id, view: buildIgnoreModal({ exceptionId: id, ...(at ?? {}) }, exc.title) as never });
    } catch (err) {
      ctx.logger.error('opening the ignore modal failed', { exceptionId: id, error: (err as Error).message });
      await tell(ctx, body.channel?.id, user, ':warning: Could not open the ignore dialog; please try again.');
    }
  };
}

function assignHandler(ctx: AppContext) {
  return async ({ ack, body, action }: Args): Promise<void> => {
    await ack();
    try {
      await report(ctx, body, await assignException(ctx, { id: action.value ?? '', actor: body.user.id }));
    } catch (err) {
      ctx.logger.error('exception assign failed', { exceptionId: action.value, error: (err as Error).message });
      await tell(ctx, body.channel?.id, body.user.id, ':warning: Could not assign the exception; please try again.');
    }
  };
}

/** Redraws the card when the exception changed, and tells the clicker what happened. */
async function report(ctx: AppContext, body: BlockAction, res: FixResult): Promise<void> {
  if (res.ok && res.outcome !== 'dry_run') await refreshCard(ctx, res.exception, cardAt(body));
  else if (!res.ok && res.reason === 'no_longer_reproduces' && res.exception) await refreshCard(ctx, res.exception, cardAt(body));
  const icon = res.ok ? (res.outcome === 'dry_run' ? ':mag:' : ':white_check_mark:') : ':no_entry:';
  await tell(ctx, body.channel?.id, body.user.id, `${icon} ${res.message}`);
}
