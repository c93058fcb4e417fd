import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { hsCompany, mirrorRow, reconcileContext } from '../helpers/reconcile.ts';
import { until } from '../helpers/ingest.ts';
import { RECONCILE_AFTER_WRITE, RECONCILE_NIGHTLY, registerReconcileJobs, scheduleAfterWrite } from '../../jobs/reconcile.ts';
import { runFullReconciliation } from '../../src/reconcile/run.ts';

let fakes: Fakes;
let ctx: AppContext;
let close: () => Promise<void>;

beforeAll(async () => {
  fakes = await startFakes();
  ({ ctx, close } = await reconcileContext('reconjobs', fakes, { ORCH_RECONCILE_CRON: '30 3 * * *', ORCH_TZ: 'Europe/Paris' }));
  await registerReconcileJobs(ctx);
  await ctx.agenda.start();
});
afterAll(async () => {
  await close?.();
  await fakes?.stop();
});

const jobs = () => ctx.mongo.client.db(ctx.mongo.dbName).collection('agenda_jobs');

describe('reconciliation jobs', () => {
  it('when the app starts, then the nightly job is scheduled on ORCH_RECONCILE_CRON in ORCH_TZ, once', async () => {
    await registerReconcileJobs(ctx); // a second start (or instance) must not add another schedule
    const nightly = await jobs().find({ name: RECONCILE_NIGHTLY, type: 'single' }).toArray();
    expect(nightly).toHaveLength(1);
    expect(nightly[0]).toMatchObject({ repeatInterval: '30 3 * * *', repeatTimezone: 'Europe/Paris' });
  });

  it('when the nightly job is due now, then it runs a full reconciliation, stores a report and posts the summary', async () => {
    fakes.hubspot.put('companies', hsCompany('501'));
    fakes.hubspot.put('companies', hsCompany('502'));
    fakes.airtable.add('Accounts', mirrorRow('501'), 'rec501');
    await jobs().updateOne({ name: RECONCILE_NIGHTLY, type: 'single' }, { $set: { nextRunAt: new Date() } });
    const report = await until(async () => ctx.models.ReconcileReport.findOne({ trigger: 'nightly', status: { $ne: 'running' } }).lean(), 15_000, 'nightly report');
    expect(report).toMatchObject({ status: 'completed', objectsCompared: { hubspot: 2, mirror: 1 }, findingsByType: { missing_in_mirror: 1 } });
    await until(async () => fakes.slack.messagesIn('orch-alerts').find((m) => m.text?.startsWith('Reconciliation completed')), 5000, 'summary');
    // It stays scheduled for the next night.
    const next = await jobs().findOne({ name: RECONCILE_NIGHTLY, type: 'single' });
    expect(new Date(next?.nextRunAt as Date).getTime()).toBeGreaterThan(Date.now());
  });

  it('when a mirror write is followed by a human edit, then the after-write check finds the drift on the written fields only', async () => {
    fakes.hubspot.put('companies', hsCompany('601', { industry: 'BANKING', name: 'Renamed' }));
    fakes.airtable.add('Accounts', mirrorRow('601'), 'rec601');
    await scheduleAfterWrite(ctx, { hubspotId: '601', fields: ['industry'] }, 0);
    await scheduleAfterWrite(ctx, { hubspotId: '601', fields: ['Industry'] }, 0); // same check: not queued twice
    const exc = await until(async () => ctx.models.Exception.findOne({ type: 'field_drift', objectId: '601' }).lean(), 15_000, 'after-write drift');
    expect(exc.diff).toEqual([{ field: 'Industry', hubspot: 'BANKING', mirror: 'SOFTWARE' }]);
    // The exception is stored before the report is closed: wait for the report to finish.
    await until(async () => ctx.models.ReconcileReport.findOne({ trigger: 'after-write', 'scope.hubspotId': '601', status: { $ne: 'running' } }).lean(), 10_000, 'after-write report');
    const reports = await ctx.models.ReconcileReport.find({ trigger: 'after-write', 'scope.hubspotId': '601' }).lean();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ status: 'completed', apiCalls: { hubspot: 1, airtable: 1 }, scope: { kind: 'company', hubspotId: '601', fields: ['Industry'] } });
    // A finished one-time check leaves no job behind (agenda_jobs would otherwise grow by one per mirror write).
    await until(async () => (await jobs().countDocuments({ name: RECONCILE_AFTER_WRITE, 'data.hubspotId': '601' })) === 0 || null, 10_000, 'after-write job removed');
  });

  it('when shutdown begins mid-run, then the run stops between pages and is reported aborted', async () => {
    for (let i = 0; i < 300; i++) fakes.airtable.add('Accounts', mirrorRow(String(7000 + i)), `recS${i}`);
    fakes.airtable.inject({ match: 'GET /v0', delayMs: 150, times: Infinity });
    const controller = new AbortController();
    const running = runFullReconciliation({ hubspot: ctx.integrations.hubspot, airtable: ctx.integrations.airtable!, models: ctx.models, logger: ctx.logger, signal: controller.signal }, { trigger: 'manual' });
    await fakes.airtable.waitFor((c) => c.method === 'GET', 5000);
    controller.abort();
    const outcome = await running;
    expect(outcome.status).toBe('aborted');
    expect(fakes.airtable.calls.filter((c) => c.method === 'GET').length).toBeLessThan(4);
    fakes.airtable.reset();
  });
});
