import { buildReconcileSummary, type ReconcileSummaryInput } from '../../blocks/reconcile-summary.ts';
import { requestReconciliation } from '../../jobs/reconcile.ts';
import { lockHolder } from '../../src/reconcile/lock.ts';
import { reply, UsageError, type Subcommand } from './types.ts';

/** `/orch reconcile` queues a full reconciliation now (admin); `/orch reconcile last` shows the last report. */
export const reconcileCommand: Subcommand = {
  name: 'reconcile',
  usage: 'reconcile [last]',
  summary: 'compare HubSpot with the Airtable mirror now (admin), or show the last report',
  role: 'admin',
  async run({ ctx, args, userId }) {
    if (args[0] === 'last') {
      const last = (await ctx.models.ReconcileReport.findOne({ 'scope.kind': 'full' }).sort({ startedAt: -1 }).lean()) as ReconcileSummaryInput | null;
      if (!last) return reply('No reconciliation has run yet. Start one with `/orch reconcile`.');
      return reply(`Last reconciliation: ${last.status}`, buildReconcileSummary(last));
    }
    if (args.length > 0) throw new UsageError('`reconcile` takes no arguments, or `last`');
    if (!ctx.integrations.airtable) return reply('Airtable is not configured (AIRTABLE_API_KEY / AIRTABLE_BASE_ID): there is no mirror to reconcile.');
    const running = await lockHolder(ctx.models);
    if (running) return reply(':hourglass_flowing_sand: A reconciliation is already running; its summary will be posted when it ends.');
    await requestReconciliation(ctx, { trigger: 'manual', actor: userId });
    return reply(`:arrows_counterclockwise: Reconciliation queued. The summary and any new exceptions will be posted in #${ctx.config.ORCH_ALERTS_CHANNEL.replace(/^#/, '')}.`);
  },
};
