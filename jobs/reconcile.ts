import type { Job } from 'agenda';
import type { AppContext } from '../src/context.ts';
import { mirrorFieldNames } from '../src/reconcile/mirror-fields.ts';
import { listenForFailedRuns, reconcileCompany, reconcileNow } from '../src/reconcile/service.ts';
import type { ReconcileTrigger } from '../src/reconcile/run.ts';

/**
 * reconcile:nightly (cron ORCH_RECONCILE_CRON in ORCH_TZ) and reconcile:after-write (one company,
 * a few minutes after a mirror write). Agenda runs each at most once at a time here
 * (concurrency 1, lockLimit 1); the lock document in MongoDB makes it once across instances.
 */
export const RECONCILE_NIGHTLY = 'reconcile:nightly';
export const RECONCILE_AFTER_WRITE = 'reconcile:after-write';
/** Long enough for 10k+ rows at Airtable's 5 requests/s; the run also renews its own lock. */
const LOCK_LIFETIME_MS = 60 * 60_000;
export const AFTER_WRITE_DELAY_MS = 2 * 60_000;

interface NightlyData {
  trigger?: ReconcileTrigger;
  actor?: string;
}
interface AfterWriteData {
  hubspotId: string;
  fields?: string[];
}

export async function registerReconcileJobs(ctx: AppContext): Promise<void> {
  ctx.agenda.define(
    RECONCILE_NIGHTLY,
    async (job: Job<NightlyData>) => {
      const data = job.attrs.data ?? {};
      const res = await reconcileNow(ctx, { trigger: data.trigger ?? 'nightly', ...(data.actor ? { actor: data.actor } : {}) });
      if (res.status === 'busy') ctx.logger.info('reconciliation skipped: another one is running');
      else if (res.status === 'not_configured') ctx.logger.warn(res.message);
      else ctx.logger.info('reconciliation finished', { reportId: res.reportId, status: res.status, findings: res.findingsByType });
    },
    { concurrency: 1, lockLimit: 1, lockLifetime: LOCK_LIFETIME_MS },
  );
  ctx.agenda.define(
    RECONCILE_AFTER_WRITE,
    async (job: Job<AfterWriteData>) => {
      const { hubspotId, fields } = job.attrs.data;
      const res = await reconcileCompany(ctx, { hubspotId, ...(fields ? { fields } : {}) });
      if ('reportId' in res) ctx.logger.info('after-write check finished', { hubspotId, reportId: res.reportId, findings: res.findingsByType });
    },
    { concurrency: 1, lockLimit: 1, lockLifetime: 5 * 60_000 },
  );
  if (ctx.config.ORCH_ROLE !== 'web') {
    await ctx.agenda.every(ctx.config.ORCH_RECONCILE_CRON, RECONCILE_NIGHTLY, { trigger: 'nightly' } as NightlyData, { timezone: ctx.config.ORCH_TZ, skipImmediate: true });
    listenForFailedRuns(ctx);
  }
}

/**
 * For WORKFLOWS after a mirror write: checks that company's written fields a little later
 * (writes settle, a human edit in between shows up). One pending check per company and field set.
 */
export async function scheduleAfterWrite(ctx: Pick<AppContext, 'agenda'>, input: { hubspotId: string; fields?: readonly string[] }, delayMs = AFTER_WRITE_DELAY_MS): Promise<void> {
  const fields = input.fields ? mirrorFieldNames(input.fields).sort() : undefined;
  const data: AfterWriteData = { hubspotId: input.hubspotId, ...(fields && fields.length ? { fields } : {}) };
  const key = fields?.join('|') ?? '*';
  await ctx.agenda
    .create(RECONCILE_AFTER_WRITE, { ...data, key })
    .unique({ 'data.hubspotId': input.hubspotId, 'data.key': key })
    .schedule(new Date(Date.now() + delayMs))
    .save();
}

/** `/orch reconcile` and POST /api/reconcile: queue a full run now (any worker takes it). */
export async function requestReconciliation(ctx: Pick<AppContext, 'agenda'>, input: { trigger: ReconcileTrigger; actor: string }): Promise<void> {
  await ctx.agenda.now(RECONCILE_NIGHTLY, { trigger: input.trigger, actor: input.actor } as NightlyData);
}
