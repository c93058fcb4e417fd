import type { AppContext } from '../src/context.ts';
import { runRetention } from '../src/services/retention.ts';

/** retention:nightly deletes what ORCH_RETENTION_DAYS / ORCH_AUDIT_RETENTION_DAYS allow (src/services/retention.ts). */
export const RETENTION_NIGHTLY = 'retention:nightly';
/** 03:30 in ORCH_TZ: after the nightly reconciliation (02:00 by default). */
export const RETENTION_CRON = '30 3 * * *';

export async function registerRetentionJobs(ctx: AppContext): Promise<void> {
  ctx.agenda.define(
    RETENTION_NIGHTLY,
    async () => {
      await runRetention(ctx);
    },
    { concurrency: 1, lockLimit: 1, lockLifetime: 30 * 60_000 },
  );
  if (ctx.config.ORCH_ROLE !== 'web') await ctx.agenda.every(RETENTION_CRON, RETENTION_NIGHTLY, {}, { timezone: ctx.config.ORCH_TZ, skipImmediate: true });
}
