import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { buildWhyErrorModal, buildWhyModal, WHY_ACTION_PATTERN } from '../../blocks/why.ts';
import { explain, type WhySubject } from '../../src/services/explain.ts';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** `run:<id>` | `deal:<id>` | `company:<id>` | `contact:<id>`; null for anything else. */
export function parseWhyValue(value: string | undefined): WhySubject | null {
  const m = /^(run|deal|company|contact):([\w-]{1,80})$/.exec(value ?? '');
  return m ? { kind: m[1] as WhySubject['kind'], id: m[2] as string } : null;
}

/**
 * Why? on decided sheets, exception cards and ask answers: the `/orch why` story in a modal
 * (anyone may look). The trigger_id lives 3 s, so a "working on it" modal opens first and the
 * story replaces it (views.update) once it is built.
 */
export function whyHandler(ctx: AppContext) {
  return async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    const subject = parseWhyValue(action.value);
    if (!subject) {
      ctx.logger.warn('why: unusable button value', { value: action.value?.slice(0, 100), user: body.user.id });
      await client.views.open({ trigger_id: body.trigger_id, view: buildWhyErrorModal('This button does not name a run or a record.') }).catch(() => undefined);
      return;
    }
    let viewId: string | undefined;
    try {
      viewId = (await client.views.open({ trigger_id: body.trigger_id, view: buildWhyErrorModal(':hourglass_flowing_sand: Putting the story together…') })).view?.id;
      const view = buildWhyModal(await explain(ctx, subject));
      if (viewId) await client.views.update({ view_id: viewId, view });
    } catch (err) {
      ctx.logger.error('opening the Why? modal failed', { value: action.value?.slice(0, 100), error: (err as Error).message });
      if (viewId) await client.views.update({ view_id: viewId, view: buildWhyErrorModal('Could not build the explanation; please try again.') }).catch(() => undefined);
    }
  };
}

export function registerWhyListeners(app: App, ctx: AppContext): void {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: WHY_ACTION_PATTERN }, whyHandler(ctx));
}
