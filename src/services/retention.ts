import type { AppContext } from '../context.ts';

/**
 * Retention (issue 14): what orch keeps about HubSpot deliveries, and for how long.
 * - Webhook events processed, ignored or skipped more than ORCH_RETENTION_DAYS ago are deleted.
 *   Quarantined and failed ones stay until they are resolved (a replay processes them, which moves
 *   their statusAt) and then the same period; events still waiting are never touched.
 * - Raw webhook batches older than the period are deleted once none of their events is kept.
 * - Audit entries older than ORCH_AUDIT_RETENTION_DAYS, only when that is set (default: forever).
 * Runs, approvals, exceptions and policies are kept. Deletes go in pages, so a large backlog never
 * holds one huge command.
 */
export type RetentionCtx = Pick<AppContext, 'models' | 'config' | 'logger'>;

export interface RetentionResult {
  events: number;
  batches: number;
  audit: number;
  cutoff: Date;
  auditCutoff: Date | null;
}

const PAGE = 500;
const DAY_MS = 86_400_000;
/** Statuses that are final: nothing will read these events again. */
const FINISHED = ['processed', 'ignored', 'skipped'];

export async function runRetention(ctx: RetentionCtx, now = new Date()): Promise<RetentionResult> {
  const cutoff = new Date(now.getTime() - ctx.config.ORCH_RETENTION_DAYS * DAY_MS);
  const events = await deletePaged(ctx, 'WebhookEvent', {
    status: { $in: FINISHED },
    $or: [{ statusAt: { $lt: cutoff } }, { statusAt: { $exists: false }, receivedAt: { $lt: cutoff } }],
  });
  const batches = await deleteBatches(ctx, cutoff);
  const days = ctx.config.ORCH_AUDIT_RETENTION_DAYS;
  const auditCutoff = days ? new Date(now.getTime() - days * DAY_MS) : null;
  const audit = auditCutoff ? await deletePaged(ctx, 'AuditEntry', { at: { $lt: auditCutoff } }) : 0;
  ctx.logger.info('retention pass finished', { events, batches, audit, cutoff: cutoff.toISOString(), auditCutoff: auditCutoff?.toISOString() ?? null });
  return { events, batches, audit, cutoff, auditCutoff };
}

type Paged = 'WebhookEvent' | 'AuditEntry' | 'WebhookBatch';

async function deletePaged(ctx: RetentionCtx, model: Paged, filter: Record<string, unknown>): Promise<number> {
  const coll = ctx.models[model].collection;
  let deleted = 0;
  for (;;) {
    const ids = (await coll.find(filter, { projection: { _id: 1 } }).limit(PAGE).toArray()).map((d) => d._id);
    if (ids.length === 0) return deleted;
    deleted += (await coll.deleteMany({ _id: { $in: ids } })).deletedCount;
    if (ids.length < PAGE) return deleted;
  }
}

/** Old raw batches none of whose events is kept (failed, quarantined, waiting, or simply newer). */
async function deleteBatches(ctx: RetentionCtx, cutoff: Date): Promise<number> {
  const batches = ctx.models.WebhookBatch.collection;
  let deleted = 0;
  let after = '';
  for (;;) {
    const page = (await batches.find({ receivedAt: { $lt: cutoff }, _id: { $gt: after as never } }, { projection: { _id: 1 } }).sort({ _id: 1 }).limit(PAGE).toArray()).map((d) => String(d._id));
    if (page.length === 0) return deleted;
    after = page[page.length - 1] as string;
    const held = new Set((await ctx.models.WebhookEvent.collection.distinct('batchId', { batchId: { $in: page } })).map(String));
    const free = page.filter((id) => !held.has(id));
    if (free.length) deleted += (await batches.deleteMany({ _id: { $in: free as never[] } })).deletedCount;
    if (page.length < PAGE) return deleted;
  }
}
