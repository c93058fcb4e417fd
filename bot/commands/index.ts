import type { AllMiddlewareArgs, App, RespondArguments, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { newId } from '../../src/ids.ts';
import { esc } from '../../blocks/text.ts';
import { authorize, roleOf } from '../../src/services/rbac.ts';
import { helpCommand, helpReply } from './help.ts';
import { runsCommand } from './runs.ts';
import { runCommand } from './run.ts';
import { approvalsCommand } from './approvals.ts';
import { exceptionsCommand } from './exceptions.ts';
import { statusCommand } from './status.ts';
import { cancelCommand, replayCommand, retryCommand } from './run-actions.ts';
import { roleCommand } from './role.ts';
import { modeCommand } from './mode.ts';
import { reconcileCommand } from './reconcile.ts';
import { dlqCommand } from './dlq.ts';
import { tokenCommand } from './token.ts';
import { forgetCommand } from './forget.ts';
import { backtestCommand } from './backtest.ts';
import { groupCommand } from './group.ts';
import { delegateCommand } from './delegate.ts';
import { whyCommand } from './why.ts';
import { policyCommand } from './policy.ts';
import { askCommand } from './ask.ts';
import { findSubcommand, registerSubcommand, suggest } from './registry.ts';
import { UsageError, type Reply, type SurfaceHooks } from './types.ts';

export { registerSubcommand } from './registry.ts';
export type { Subcommand, SurfaceHooks } from './types.ts';

// Order = order in `/orch help`. Other areas add their subcommand with one line here (e.g. reconcile, dlq).
for (const sub of [helpCommand, runsCommand, runCommand, approvalsCommand, exceptionsCommand, statusCommand, replayCommand, retryCommand, cancelCommand, roleCommand, modeCommand]) {
  registerSubcommand(sub);
}
for (const sub of [reconcileCommand, dlqCommand]) registerSubcommand(sub);
registerSubcommand(tokenCommand);
registerSubcommand(forgetCommand);
registerSubcommand(backtestCommand);
registerSubcommand(groupCommand);
registerSubcommand(delegateCommand);
for (const sub of [whyCommand, policyCommand, askCommand]) registerSubcommand(sub);

const REFUSAL: Record<string, string> = {
  operator: 'needs the *operator* or *admin* role',
  admin: 'is for *admins*',
};

/** Parses, authorizes and runs one `/orch …` line; every outcome is a Reply, never a throw. */
export async function dispatch(ctx: AppContext, hooks: SurfaceHooks, input: { text: string; userId: string; channelId?: string; triggerId?: string }): Promise<Reply> {
  const [rawName = 'help', ...args] = input.text.trim().split(/\s+/).filter(Boolean);
  const name = rawName.toLowerCase();
  const sub = findSubcommand(name);
  if (!sub) return helpReply({ unknown: rawName, suggestion: suggest(name) });
  const role = sub.role === 'viewer' ? await roleOf(ctx.models, input.userId) : await authorize(ctx.models, input.userId, sub.role, `slack.orch.${sub.name}`, args.join(' ') || undefined);
  if (!role) {
    return { text: `Sorry, \`/orch ${sub.name}\` ${REFUSAL[sub.role] ?? 'is restricted'}. Your role is *${await roleOf(ctx.models, input.userId)}*; an admin can change it with \`/orch role\`.` };
  }
  try {
    return await sub.run({ ctx, hooks, args, userId: input.userId, channelId: input.channelId, triggerId: input.triggerId, role, now: new Date() });
  } catch (err) {
    if (err instanceof UsageError) return { text: `Usage: \`/orch ${esc(sub.usage)}\` — ${esc(err.message, 500)}` };
    const ref = newId('err', 8);
    ctx.logger.error('/orch failed', { subcommand: sub.name, ref, error: (err as Error).message, stack: (err as Error).stack });
    return { text: `:warning: \`/orch ${sub.name}\` failed (ref \`${ref}\`). Please try again; if it persists, give the ref to an admin.` };
  }
}

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** `/orch`: ack at once (Slack's 3 s rule), then answer ephemerally through response_url. */
export function registerCommands(app: App, ctx: AppContext, hooks: SurfaceHooks = {}): void {
  app.command('/orch', async ({ ack, command, respond }: CommandArgs) => {
    const started = performance.now();
    await ack();
    ctx.metrics.slackAckSeconds.observe({ kind: 'command' }, (performance.now() - started) / 1000);
    const res = await dispatch(ctx, hooks, { text: command.text ?? '', userId: command.user_id, channelId: command.channel_id, triggerId: command.trigger_id });
    try {
      await respond({ response_type: 'ephemeral', text: res.text, ...(res.blocks ? { blocks: res.blocks } : {}) } as RespondArguments);
    } catch (err) {
      ctx.logger.warn('could not answer /orch', { error: (err as Error).message });
    }
  });
}
