import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { EXCEPTION_IGNORE_MODAL, IGNORE_REASON_BLOCK, IGNORE_REASON_INPUT } from '../../blocks/exception-card.ts';
import { ignoreException } from '../../src/reconcile/fixes.ts';
import { refreshCard } from '../../src/reconcile/notify.ts';
import { tell } from '../actions/exceptions.ts';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

interface IgnoreMeta {
  exceptionId: string;
  channel?: string;
  ts?: string;
}

export function parseIgnoreMeta(text: string | undefined): IgnoreMeta | null {
  try {
    const m = JSON.parse(text ?? '') as Partial<IgnoreMeta>;
    return typeof m.exceptionId === 'string' ? { exceptionId: m.exceptionId, ...(m.channel ? { channel: m.channel } : {}), ...(m.ts ? { ts: m.ts } : {}) } : null;
  } catch {
    return null;
  }
}

/** Ignore modal submitted: no reason keeps the modal open with an error; else ignore (admin). */
export function ignoreSubmitHandler(ctx: AppContext) {
  return async ({ ack, body, view }: Args): Promise<void> => {
    const reason = view.state.values[IGNORE_REASON_BLOCK]?.[IGNORE_REASON_INPUT]?.value?.trim() ?? '';
    const meta = parseIgnoreMeta(view.private_metadata);
    if (!reason) return void (await ack({ response_action: 'errors', errors: { [IGNORE_REASON_BLOCK]: 'A reason is required to ignore an exception.' } }));
    if (!meta) {
      ctx.logger.warn('ignore modal without valid private_metadata', { user: body.user.id });
      return void (await ack({ response_action: 'errors', errors: { [IGNORE_REASON_BLOCK]: 'This dialog is no longer valid; reopen it from the card.' } }));
    }
    await ack();
    const actor = body.user.id;
    try {
      const res = await ignoreException(ctx, { id: meta.exceptionId, actor, reason });
      if (res.ok) await refreshCard(ctx, res.exception, meta.channel && meta.ts ? { channel: meta.channel, ts: meta.ts } : undefined);
      await tell(ctx, meta.channel, actor, res.ok ? `:no_entry_sign: ${res.message}` : `:no_entry: ${res.message}`);
    } catch (err) {
      ctx.logger.error('ignoring the exception failed', { exceptionId: meta.exceptionId, error: (err as Error).message });
      await tell(ctx, meta.channel, actor, ':warning: The exception could not be ignored; please try again.');
    }
  };
}

export function registerIgnoreView(app: App, ctx: AppContext): void {
  app.view(EXCEPTION_IGNORE_MODAL, ignoreSubmitHandler(ctx));
}
