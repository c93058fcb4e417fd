import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { buildRevealReasonModal, parseRevealTarget, REVEAL_ACTION, REVEAL_MODAL } from '../../blocks/reveal.ts';
import { hiddenValues } from '../../src/services/pii-reveal.ts';
import { authorize } from '../../src/services/rbac.ts';
import { tell } from './exceptions.ts';
import { revealSubmitHandler } from '../views/pii-reveal-submit.ts';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export const REVEAL_REFUSAL = 'Sorry, only admins can reveal personal data; it stays masked for everyone else. Your attempt was recorded in the audit log.';

/** Reveal button: admins get the reason modal; anyone else a polite refusal (audited by authorize). */
export function revealHandler(ctx: AppContext) {
  return async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    const user = body.user.id;
    const target = parseRevealTarget(action.value);
    try {
      if (!target) return await tell(ctx, body.channel?.id, user, 'That Reveal button is not valid any more.');
      if (!(await authorize(ctx.models, user, 'admin', 'pii.reveal', `${target.kind}:${target.id}`))) return await tell(ctx, body.channel?.id, user, REVEAL_REFUSAL);
      const subject = await hiddenValues(ctx, target);
      if (!subject) return await tell(ctx, body.channel?.id, user, `That ${target.kind} no longer exists.`);
      await client.views.open({ trigger_id: body.trigger_id, view: buildRevealReasonModal(target, subject.entries.map((e) => e.label)) });
    } catch (err) {
      ctx.logger.error('opening the reveal modal failed', { target: action.value, error: (err as Error).message });
      await tell(ctx, body.channel?.id, user, ':warning: Could not open Reveal; please try again.');
    }
  };
}

export function registerRevealListeners(app: App, ctx: AppContext): void {
  app.action<BlockAction<ButtonAction>>(REVEAL_ACTION, revealHandler(ctx));
  app.view(REVEAL_MODAL, revealSubmitHandler(ctx));
}
