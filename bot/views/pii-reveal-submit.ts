import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { buildRevealedModal, parseRevealMeta, REVEAL_REASON_BLOCK, REVEAL_REASON_INPUT } from '../../blocks/reveal.ts';
import { auditReveal, hiddenValues } from '../../src/services/pii-reveal.ts';
import { authorize } from '../../src/services/rbac.ts';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

const errors = (msg: string) => ({ response_action: 'errors' as const, errors: { [REVEAL_REASON_BLOCK]: msg } });

/**
 * Reason submitted: checked again (role and reason), audited as `pii.reveal`, then the raw values
 * replace the modal, so only this admin sees them. The ack carries the view: no channel message.
 */
export function revealSubmitHandler(ctx: AppContext) {
  return async ({ ack, body, view }: Args): Promise<void> => {
    const user = body.user.id;
    const target = parseRevealMeta(view.private_metadata);
    const reason = (view.state.values[REVEAL_REASON_BLOCK]?.[REVEAL_REASON_INPUT]?.value ?? '').trim();
    try {
      if (!target) return await ack(errors('This dialog is no longer valid; click Reveal again.'));
      if (reason.length < 3) return await ack(errors('Say why you need to see it (at least 3 characters).'));
      if (!(await authorize(ctx.models, user, 'admin', 'pii.reveal', `${target.kind}:${target.id}`))) return await ack(errors('Only admins can reveal personal data.'));
      const subject = await hiddenValues(ctx, target);
      if (!subject) return await ack(errors(`That ${target.kind} no longer exists.`));
      await auditReveal(ctx, user, target, subject, reason);
      await ack({ response_action: 'update', view: buildRevealedModal(target, subject.entries) });
    } catch (err) {
      ctx.logger.error('reveal failed', { target, error: (err as Error).message });
      await ack(errors('Could not reveal; nothing was shown. Please try again.'));
    }
  };
}
