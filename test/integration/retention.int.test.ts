import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import { runRetention } from '../../src/services/retention.ts';
import { configureAlerts, EMAIL_CACHE_MAX } from '../../src/services/alerts.ts';
import { registerRetentionJobs, RETENTION_CRON, RETENTION_NIGHTLY } from '../../jobs/retention.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { reconcileContext } from '../helpers/reconcile.ts';
import { until } from '../helpers/ingest.ts';

/** Issue 14 retention: ORCH_RETENTION_DAYS (default 30) and ORCH_AUDIT_RETENTION_DAYS (default unlimited). */
let fakes: Fakes;
let ctx: AppContext;
let close: () => Promise<void>;

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

beforeAll(async () => {
  fakes = await startFakes();
  ({ ctx, close } = await reconcileContext('retention', fakes));
});
afterAll(async () => {
  await close?.();
  await fakes?.stop();
});

async function seed() {
  const { WebhookEvent, WebhookBatch, AuditEntry } = ctx.models;
  // The audit model refuses deletes (append-only); only the configured retention removes entries.
  await Promise.all([WebhookEvent.deleteMany({}), WebhookBatch.deleteMany({}), AuditEntry.collection.deleteMany({})]);
  const batch = (id: string, days: number) => ({ _id: id, sha256: id, body: '[]', events: 1, receivedAt: ago(days) });
  await WebhookBatch.collection.insertMany([batch('whb_old_done', 40), batch('whb_old_failed', 40), batch('whb_new', 10)] as never[]);
  const ev = (id: string, batchId: string, status: string, receivedDays: number, statusDays?: number) => ({
    _id: id, dedupeKey: id, subscriptionType: 'company.creation', status, batchId, raw: { objectId: 1 }, receivedAt: ago(receivedDays), ...(statusDays === undefined ? {} : { statusAt: ago(statusDays) }),
  });
  await WebhookEvent.collection.insertMany([
    ev('ev_old_processed', 'whb_old_done', 'processed', 40, 40),
    ev('ev_old_ignored_no_statusat', 'whb_old_done', 'ignored', 41),
    ev('ev_new_processed', 'whb_new', 'processed', 10, 10),
    ev('ev_old_failed', 'whb_old_failed', 'failed', 40, 40),
    ev('ev_old_quarantined', 'whb_old_failed', 'quarantined', 40, 40),
    // Failed 40 days ago, replayed (resolved) yesterday: kept for the period after resolution.
    ev('ev_replayed_recently', 'whb_old_failed', 'processed', 40, 1),
  ] as never[]);
  await AuditEntry.collection.insertMany([
    { actor: 'UADMIN1', action: 'mode.set', target: 'mode', at: ago(400) },
    { actor: 'UADMIN1', action: 'mode.set', target: 'mode', at: ago(1) },
  ] as never[]);
}

const ids = async (model: 'WebhookEvent' | 'WebhookBatch') => (await ctx.models[model].collection.find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)).sort();

describe('nightly retention', () => {
  it('when the nightly Agenda job runs with the default 30 days, then older processed events and their raw batches are gone, newer ones, failed and quarantined ones stay, and the audit log is kept', async () => {
    await seed();
    await registerRetentionJobs(ctx);
    const scheduled = await ctx.mongo.conn.collection('agenda_jobs').findOne({ name: RETENTION_NIGHTLY, type: 'single' });
    expect(scheduled).toMatchObject({ repeatInterval: RETENTION_CRON });
    await ctx.agenda.start();
    await ctx.agenda.now(RETENTION_NIGHTLY, {});
    await until(async () => (await ctx.models.WebhookEvent.countDocuments({ _id: 'ev_old_processed' })) === 0, 15_000, 'the retention job');
    await until(async () => (await ids('WebhookBatch')).length === 2, 5_000, 'batches deleted');
    expect(await ids('WebhookEvent')).toEqual(['ev_new_processed', 'ev_old_failed', 'ev_old_quarantined', 'ev_replayed_recently']);
    expect(await ids('WebhookBatch')).toEqual(['whb_new', 'whb_old_failed']);
    expect(await ctx.models.AuditEntry.countDocuments()).toBe(2);
    await ctx.agenda.stop();
  });

  it('when ORCH_AUDIT_RETENTION_DAYS=365 and ORCH_RETENTION_DAYS=5, then audit entries older than a year and events older than 5 days go', async () => {
    await seed();
    const res = await runRetention({ ...ctx, config: { ...ctx.config, ORCH_RETENTION_DAYS: 5, ORCH_AUDIT_RETENTION_DAYS: 365 } });
    expect(res).toMatchObject({ events: 3, batches: 2, audit: 1 });
    expect(await ids('WebhookEvent')).toEqual(['ev_old_failed', 'ev_old_quarantined', 'ev_replayed_recently']);
    expect(await ctx.models.AuditEntry.countDocuments()).toBe(1);
  });

  it('when Slack users are looked up by email, then the cache is bounded and expires', () => {
    const state = configureAlerts(ctx);
    expect(state.emails.max).toBe(EMAIL_CACHE_MAX);
    expect(state.emails.ttl).toBe(3_600_000);
    for (let i = 0; i < EMAIL_CACHE_MAX + 10; i++) state.emails.set(`u${i}@example.com`, { userId: `U${i}`, at: Date.now() });
    expect(state.emails.size).toBe(EMAIL_CACHE_MAX);
    expect(state.emails.get('u0@example.com')).toBeUndefined();
  });
});
