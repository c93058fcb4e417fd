import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { BACKTEST_SAVE } from '../../blocks/backtest.ts';
import type { PolicyDraft } from '../../src/services/backtest.ts';
import { policyInputSchema } from '../../src/services/policies.ts';
import { savePolicyVersion } from '../../src/services/policy-save.ts';
import { authorize } from '../../src/services/rbac.ts';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** A button value holds at most 2000 characters. */
export const MAX_SAVE_VALUE = 2000;

/** The draft travels in the button itself (compressed): a backtest writes nothing. */
export function encodeSave(backtestId: string, draft: PolicyDraft): string | null {
  const { validFrom: _v, ...rest } = draft;
  const value = deflateRawSync(Buffer.from(JSON.stringify({ id: backtestId, draft: rest }))).toString('base64');
  return value.length <= MAX_SAVE_VALUE ? value : null;
}

export function decodeSave(value: string): { id: string; draft: PolicyDraft } | null {
  try {
    const raw = JSON.parse(inflateRawSync(Buffer.from(value, 'base64')).toString('utf8')) as { id?: unknown; draft?: unknown };
    const draft = policyInputSchema.safeParse(raw.draft);
    return typeof raw.id === 'string' && draft.success ? { id: raw.id, draft: draft.data } : null;
  } catch {
    return null;
  }
}

/** **Save as version N+1**: admins only; the same path as POST /api/policies, the backtest id audited. */
export function registerBacktestSave(app: App, ctx: AppContext): void {
  app.action(BACKTEST_SAVE, async ({ ack, body, action, respond }: Args) => {
    await ack();
    const user = body.user.id;
    try {
      const saved = decodeSave(action.value ?? '');
      if (!saved) {
        ctx.logger.warn('backtest save with an unreadable value', { user });
        return void (await respond({ response_type: 'ephemeral', replace_original: false, text: ':warning: This backtest result can no longer be saved; run the backtest again.' }));
      }
      if (!(await authorize(ctx.models, user, 'admin', 'policy.add_version', saved.draft.name))) {
        return void (await respond({ response_type: 'ephemeral', replace_original: false, text: 'Only admins can save a policy version.' }));
      }
      const version = await savePolicyVersion(ctx, saved.draft, user, saved.id);
      await respond({ response_type: 'ephemeral', replace_original: false, text: `:white_check_mark: Saved *${version.name}* version ${version.version} from backtest \`${saved.id}\`. It is in force from now.` });
    } catch (err) {
      ctx.logger.error('saving the backtested policy failed', { user, error: (err as Error).message });
      await respond({ response_type: 'ephemeral', replace_original: false, text: ':warning: The policy version could not be saved; please try again.' }).catch(() => undefined);
    }
  });
}
