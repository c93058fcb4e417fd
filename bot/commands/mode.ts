import type { KnownBlock } from '@slack/types';
import type { AppContext } from '../../src/context.ts';
import { getMode, setMode, type Mode } from '../../src/services/settings.ts';
import { mrkdwn, plain } from '../../blocks/limits.ts';
import { UsageError, type Subcommand } from './types.ts';

export const MODE_ACTIONS = { confirmLive: 'mode_confirm_live', cancel: 'mode_cancel' } as const;

/** Switches the mode, announces it in the alerts channel and refreshes the Home tabs. */
export async function applyMode(ctx: AppContext, mode: Mode, actor: string): Promise<string> {
  const previous = await setMode(ctx, mode, actor);
  const text = mode === 'live' ? `:red_circle: <@${actor}> switched orch to *live*: external writes are now performed.` : `:large_blue_circle: <@${actor}> switched orch to *dry-run*: writes are computed and shown, not performed.`;
  try {
    await ctx.slack.chat.postMessage({ channel: ctx.config.ORCH_ALERTS_CHANNEL, text });
  } catch (err) {
    ctx.logger.warn('could not announce the mode change', { error: (err as Error).message });
  }
  ctx.events.emit('home.changed');
  return previous === mode ? `Mode was already *${mode}*.` : `Mode is now *${mode}* (was ${previous}); announced in #${ctx.config.ORCH_ALERTS_CHANNEL.replace(/^#/, '')}.`;
}

export function liveConfirmBlocks(): KnownBlock[] {
  return [
    { type: 'section', block_id: 'mode_confirm', text: mrkdwn(':warning: *Switch to live?* orch will write to Airtable, Notion and HubSpot for real. This is announced in the alerts channel.') },
    {
      type: 'actions',
      block_id: 'mode_confirm_actions',
      elements: [
        { type: 'button', action_id: MODE_ACTIONS.confirmLive, text: plain('Switch to live', 75), style: 'danger', value: 'live' },
        { type: 'button', action_id: MODE_ACTIONS.cancel, text: plain('Stay in dry-run', 75), value: 'dry-run' },
      ],
    },
  ];
}

export const modeCommand: Subcommand = {
  name: 'mode',
  usage: 'mode [dry-run|live]',
  summary: 'show or switch the mode (live asks for confirmation)',
  role: 'admin',
  async run({ ctx, args, userId }) {
    if (args.length === 0) return { text: `Mode is *${await getMode(ctx)}*.` };
    const mode = args[0]?.toLowerCase();
    if (args.length !== 1 || (mode !== 'dry-run' && mode !== 'live')) throw new UsageError('`/orch mode dry-run` or `/orch mode live`');
    if (mode === 'live' && (await getMode(ctx)) !== 'live') return { text: 'Switch to live? Confirm below.', blocks: liveConfirmBlocks() };
    return { text: await applyMode(ctx, mode, userId) };
  },
};
