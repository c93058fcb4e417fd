import type { KnownBlock } from '@slack/types';
import { buildExceptionCard } from '../../blocks/exception-card.ts';
import { listDeadLetters } from '../../src/reconcile/dlq.ts';
import { reply, UsageError, type Subcommand } from './types.ts';

/** Cards are ~5 blocks; 8 of them plus a header stay under Slack's 50-block limit. */
const MAX_CARDS = 8;

/** `/orch dlq`: runs that failed after their retries, each with Retry / Ignore. */
export const dlqCommand: Subcommand = {
  name: 'dlq',
  usage: 'dlq',
  summary: 'failed runs that exhausted their retries (dead letters), with Retry',
  role: 'viewer',
  async run({ ctx, args }) {
    if (args.length > 0) throw new UsageError('`dlq` takes no arguments');
    const items = await listDeadLetters(ctx, MAX_CARDS + 1);
    if (items.length === 0) return reply(':white_check_mark: No dead letters: every failed run has been retried or dismissed.');
    const total = await ctx.models.Exception.countDocuments({ type: 'integration_error', status: 'open' });
    const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: `Dead letters: ${total}` } }];
    for (const e of items.slice(0, MAX_CARDS)) blocks.push(...buildExceptionCard(e), { type: 'divider' });
    if (total > MAX_CARDS) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `+${total - MAX_CARDS} more: \`GET /api/exceptions?status=open&type=integration_error\`` }] });
    return reply(`${total} dead-lettered run(s)`, blocks);
  },
};
