import { buildBacktestModal } from '../../blocks/backtest.ts';
import { policyInForce } from '../../src/services/policies.ts';
import { UsageError, type Subcommand } from './types.ts';

/** `backtest <policy> [--days 30]` → its arguments. */
export function parseBacktestArgs(args: string[]): { policy: string; days: number } {
  const [policy, ...rest] = args;
  if (!policy || policy.startsWith('--')) throw new UsageError('name the policy, e.g. `/orch backtest procurement-approval --days 30`');
  let days = 30;
  if (rest.length) {
    if (rest[0] !== '--days' || rest.length !== 2) throw new UsageError('the only option is `--days N`');
    days = Number(rest[1]);
    if (!Number.isInteger(days) || days < 1 || days > 365) throw new UsageError('`--days` is a whole number from 1 to 365');
  }
  return { policy, days };
}

/** Opens the backtest modal on the policy version in force (operators and admins; saving needs an admin). */
export const backtestCommand: Subcommand = {
  name: 'backtest',
  usage: 'backtest <policy> [--days 30]',
  summary: 'replay past runs through a draft policy',
  role: 'operator',
  async run({ ctx, args, channelId, triggerId }) {
    const { policy, days } = parseBacktestArgs(args);
    const current = await policyInForce(ctx.models, policy);
    if (!current) return { text: `No policy named \`${policy}\` is in force. \`GET /api/policies\` lists them.` };
    if (!triggerId) return { text: 'This Slack request has no trigger_id, so the form cannot open; use `POST /api/policies/backtest`.' };
    await ctx.slack.views.open({ trigger_id: triggerId, view: buildBacktestModal(current, days, channelId) as never });
    return { text: `Backtest form for *${policy}* (version ${current.version}) opened.` };
  },
};
