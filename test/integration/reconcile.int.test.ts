import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { hsCompany, mirrorRow, reconcileContext } from '../helpers/reconcile.ts';
import { until } from '../helpers/ingest.ts';
import { counterValue } from '../helpers/integrations.ts';
import { reconcileNow } from '../../src/reconcile/service.ts';
import { applyFix, assignException, ignoreException, previewFix } from '../../src/reconcile/fixes.ts';
import { listenForFailedRuns } from '../../src/reconcile/service.ts';
import { scanFailedRuns } from '../../src/reconcile/dlq.ts';
import { acquireLock } from '../../src/reconcile/lock.ts';
import type { ExceptionView } from '../../src/reconcile/exceptions.ts';

let fakes: Fakes;
let ctx: AppContext;
let close: () => Promise<void>;

beforeAll(async () => {
  fakes = await startFakes();
  ({ ctx, close } = await reconcileContext('reconcile', fakes, { ORCH_MODE: 'live' }));
});
afterAll(async () => {
  await close?.();
  await fakes?.stop();
});
beforeEach(async () => {
  fakes.reset();
  await ctx.models.Exception.deleteMany({});
  await ctx.models.ReconcileReport.deleteMany({});
  await ctx.models.ReconcileLock.deleteMany({});
  await ctx.models.Policy.deleteMany({});
});

const exceptions = async (filter: Record<string, unknown> = {}) => (await ctx.models.Exception.find(filter).lean()) as unknown as ExceptionView[];
const byKey = (list: ExceptionView[]) => Object.fromEntries(list.map((e) => [`${e.type}:${e.objectType}:${e.objectId}`, e]));
const put = (id: string, over: Record<string, string | null> = {}) => fakes.hubspot.put('companies', hsCompany(id, over));
const row = (rid: string, id: string | undefined, over: Record<string, string | number | null> = {}) => fakes.airtable.add('Accounts', mirrorRow(id, over), rid);
const airtableWrites = () => fakes.airtable.calls.filter((c) => c.method !== 'GET' && !c.injected);
const run = async () => {
  const res = await reconcileNow(ctx, { trigger: 'manual', actor: 'UADMIN1' });
  if (!('reportId' in res)) throw new Error(`reconciliation did not run: ${res.status}`);
  return res;
};

/** Drift of every kind, one object each (see the expectations below). */
function seedEveryKind(): void {
  put('1');
  row('rec1', '1');
  put('2'); // missing in mirror
  put('3');
  row('rec3', '3', { Industry: 'RETAIL', Employees: 60 }); // drift on two fields
  put('4');
  row('rec4a', '4');
  row('rec4b', '4', { Owner: '78' }); // duplicate by id
  put('5', { hs_merged_object_ids: '6' });
  row('rec5', '5');
  row('rec6', '6'); // merged away in HubSpot
  row('rec9', '9'); // HubSpot never had / deleted it
  row('recX', undefined, { Name: 'Lonely', Domain: 'lonely.com' }); // no HubSpot id
  put('7');
  row('rec7', '7');
  put('8', { domain: 'eight.com' });
  row('rec8', '8', { Name: 'Acme 8', Domain: 'acme7.com' }); // drifted domain colliding with 7's
}

describe('reconciliation finds every kind of drift', () => {
  it('when drift of every kind is seeded, then exactly the expected exceptions exist with correct diffs, a report and a Slack summary', async () => {
    seedEveryKind();
    const res = await run();
    expect(res.status).toBe('completed');
    const found = byKey(await exceptions());
    expect(Object.keys(found).sort()).toEqual(
      [
        'duplicate_mirror:company:4',
        'duplicate_mirror:domain:acme7.com',
        'field_drift:company:3',
        'field_drift:company:8',
        'missing_in_mirror:company:2',
        'orphan_in_mirror:company:6',
        'orphan_in_mirror:company:9',
        'orphan_in_mirror:mirror_row:recX',
      ].sort(),
    );
    expect(found['field_drift:company:3']?.diff).toEqual([
      { field: 'Industry', hubspot: 'SOFTWARE', mirror: 'RETAIL' },
      { field: 'Employees', hubspot: 50, mirror: 60 },
    ]);
    expect(found['field_drift:company:8']).toMatchObject({ severity: 'high', diff: [{ field: 'Domain', hubspot: 'eight.com', mirror: 'acme7.com' }] });
    expect(found['orphan_in_mirror:company:6']?.details).toMatchObject({ reason: 'merged', mergedInto: '5' });
    expect(found['orphan_in_mirror:company:9']?.details).toMatchObject({ reason: 'not_in_hubspot' });
    expect(found['duplicate_mirror:company:4']?.proposedFix?.writes).toEqual([{ system: 'airtable', op: 'delete', table: 'Accounts', recordId: 'rec4b' }]);
    expect(found['missing_in_mirror:company:2']?.proposedFix?.writes[0]).toMatchObject({ op: 'upsert', fields: { 'HubSpot Id': '2', Name: 'Acme 2' } });
    expect(Object.values(found).every((e) => e.status === 'open' && e.occurrences === 1)).toBe(true);

    const report = await ctx.models.ReconcileReport.findById(res.reportId).lean();
    expect(report).toMatchObject({
      status: 'completed',
      objectsCompared: { hubspot: 7, mirror: 10 },
      findingsByType: { missing_in_mirror: 1, orphan_in_mirror: 3, field_drift: 2, duplicate_mirror: 2 },
      exceptions: { opened: 8, updated: 0, closed: 0 },
      apiCalls: { hubspot: 2, airtable: 1 },
    });
    expect(await counterValue(ctx.metrics.registry, 'orch_reconcile_findings_total', { type: 'field_drift' })).toBe(2);
    expect(await counterValue(ctx.metrics.registry, 'orch_reconcile_runs_total', { trigger: 'manual', status: 'completed' })).toBe(1);
    const posted = fakes.slack.messagesIn('orch-alerts');
    expect(posted.some((m) => m.text?.startsWith('Reconciliation completed: 8 findings'))).toBe(true);
    // Eight new exceptions are more than the per-card limit: one list message.
    expect(posted.some((m) => m.text === '8 new exceptions')).toBe(true);
    // High severity (the id duplicate, the domain drift) also DMs; no owner email known → the admins.
    const dms = await until(async () => {
      const list = fakes.slack.messagesIn('UADMIN1');
      return list.length >= 2 ? list : undefined;
    }, 10_000, 'high-severity DMs');
    const dmText = dms.map((m) => `${m.text} ${JSON.stringify(m.blocks ?? [])}`).join('\n');
    expect(dmText).toContain('Duplicate mirror rows');
    expect(dmText).toContain('Field drift');
  });

  it('when the reconciliation runs again, then no exception is duplicated and occurrences count up', async () => {
    seedEveryKind();
    await run();
    const second = await run();
    expect(second.opened).toEqual([]);
    const all = await exceptions();
    expect(all).toHaveLength(8);
    expect(all.every((e) => e.occurrences === 2)).toBe(true);
  });

  it('when the data is fixed in the fake, then the exception closes itself with a note', async () => {
    seedEveryKind();
    await run();
    fakes.airtable.table('Accounts').get('rec3')!.fields = mirrorRow('3');
    await run();
    const [drift] = await exceptions({ type: 'field_drift', objectId: '3' });
    expect(drift).toMatchObject({ status: 'resolved', resolvedBy: 'orch:reconcile' });
    expect(drift?.resolution).toMatch(/no longer reproduces/);
    expect(drift?.openKey).toBe(`field_drift:company:3#${drift?._id}`);
    expect(await exceptions({ status: 'open' })).toHaveLength(7);
  });

  it('when a lock holder died, then its lock expires and the next reconciliation runs', async () => {
    expect(await acquireLock(ctx.models, 'dead-instance', 60_000)).toBe(true);
    expect(await reconcileNow(ctx, { trigger: 'manual' })).toEqual({ status: 'busy' });
    await ctx.models.ReconcileLock.updateOne({ _id: 'reconcile' }, { $set: { until: new Date(Date.now() - 1) } });
    expect((await reconcileNow(ctx, { trigger: 'manual' })).status).toBe('completed');
    expect(await acquireLock(ctx.models, 'next', 1000)).toBe(true);
  });

  it('when two reconciliations start at once, then only one runs', async () => {
    put('1');
    row('rec1', '1');
    const [a, b] = await Promise.all([reconcileNow(ctx, { trigger: 'manual' }), reconcileNow(ctx, { trigger: 'manual' })]);
    expect([a.status, b.status].filter((s) => s === 'busy')).toHaveLength(1);
    expect(await ctx.models.ReconcileReport.countDocuments()).toBe(1);
  });
});

describe('fixing exceptions', () => {
  async function driftOn(id: string): Promise<ExceptionView> {
    put(id, { industry: 'BANKING' });
    row(`rec${id}`, id);
    await run();
    const [e] = await exceptions({ type: 'field_drift', objectId: id });
    return e!;
  }

  it('when Preview is asked, then it lists the exact writes and writes nothing', async () => {
    const e = await driftOn('10');
    const res = await previewFix(ctx, e._id);
    expect(res.ok && res.message).toContain(`airtable Accounts: update rec10 Industry="BANKING"`);
    expect(airtableWrites()).toHaveLength(0);
  });

  it('when Apply is clicked twice at once, then the mirror is written once and the exception is resolved by the admin', async () => {
    const e = await driftOn('11');
    const results = await Promise.all([applyFix(ctx, { id: e._id, actor: 'UADMIN1' }), applyFix(ctx, { id: e._id, actor: 'UADMIN1' })]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toMatchObject({ reason: 'not_open' });
    expect(airtableWrites()).toHaveLength(1);
    expect(fakes.airtable.table('Accounts').get('rec11')?.fields.Industry).toBe('BANKING');
    expect((await exceptions({ _id: e._id }))[0]).toMatchObject({ status: 'resolved', resolvedBy: 'UADMIN1' });
    const again = await applyFix(ctx, { id: e._id, actor: 'UADMIN1' });
    expect(again).toMatchObject({ ok: false, reason: 'not_open' });
    expect(again.message).toContain('already resolved by UADMIN1');
    expect(airtableWrites()).toHaveLength(1);
  });

  it('when HubSpot changed after detection, then Apply is refused with the reason and nothing is written', async () => {
    const e = await driftOn('12');
    put('12', { industry: 'INSURANCE' });
    const res = await applyFix(ctx, { id: e._id, actor: 'UADMIN1' });
    expect(res).toMatchObject({ ok: false, reason: 'state_changed' });
    expect(res.message).toContain('Industry: HubSpot now "INSURANCE" (was "BANKING" at detection)');
    expect(airtableWrites()).toHaveLength(0);
    expect((await exceptions({ _id: e._id }))[0]?.status).toBe('open');
  });

  it('when a non-admin applies, then it is refused and audited', async () => {
    const e = await driftOn('13');
    const res = await applyFix(ctx, { id: e._id, actor: 'UVIEWER' });
    expect(res).toMatchObject({ ok: false, reason: 'not_admin' });
    expect(await ctx.models.AuditEntry.countDocuments({ actor: 'UVIEWER', action: 'exception.apply', outcome: 'refused' })).toBe(1);
    expect(airtableWrites()).toHaveLength(0);
  });

  it('when in dry-run mode, then Apply shows the writes and writes nothing', async () => {
    const e = await driftOn('14');
    const dry = { ...ctx, config: { ...ctx.config, ORCH_MODE: 'dry-run' as const } };
    const res = await applyFix(dry, { id: e._id, actor: 'UADMIN1' });
    expect(res).toMatchObject({ ok: true, outcome: 'dry_run' });
    expect(res.message).toContain('Dry-run mode: nothing was written');
    expect(airtableWrites()).toHaveLength(0);
    expect((await exceptions({ _id: e._id }))[0]?.status).toBe('open');
  });

  it('when Ignore has no reason, then it is refused; with one, the exception stays ignored on re-detection', async () => {
    const e = await driftOn('15');
    expect(await ignoreException(ctx, { id: e._id, actor: 'UADMIN1', reason: '  ' })).toMatchObject({ ok: false, reason: 'reason_required' });
    expect(await ignoreException(ctx, { id: e._id, actor: 'UADMIN1', reason: 'Airtable value is curated by hand' })).toMatchObject({ ok: true, outcome: 'ignored' });
    const again = await run();
    expect(again.opened).toEqual([]);
    expect((await exceptions({ _id: e._id }))[0]).toMatchObject({ status: 'ignored', occurrences: 2, resolution: 'Airtable value is curated by hand' });
  });

  it('when an orphan or a duplicate is applied, then exactly the extra rows are deleted and a second delete is harmless', async () => {
    put('19');
    row('rec19a', '19');
    row('rec19b', '19', { Owner: '1' });
    row('rec29', '29');
    await run();
    const [dup] = await exceptions({ type: 'duplicate_mirror', objectId: '19' });
    const [orphan] = await exceptions({ type: 'orphan_in_mirror', objectId: '29' });
    expect(await applyFix(ctx, { id: dup!._id, actor: 'UADMIN1' })).toMatchObject({ ok: true, outcome: 'applied' });
    expect(await applyFix(ctx, { id: orphan!._id, actor: 'UADMIN1' })).toMatchObject({ ok: true, outcome: 'applied' });
    const ids = [...fakes.airtable.table('Accounts').keys()].sort();
    expect(ids).toEqual(['rec19a']);
    expect(airtableWrites().map((c) => `${c.method} ${c.path.split('/').pop()}`).sort()).toEqual(['DELETE rec19b', 'DELETE rec29']);
    await expect(ctx.integrations.airtable!.destroy('Accounts', 'rec29')).resolves.toBeUndefined();
  });

  it('when the mirror write fails, then Apply says so, nothing is marked fixed and the exception can be applied again', async () => {
    const e = await driftOn('21');
    fakes.airtable.inject({ match: /PATCH .*rec21/, status: 422, times: 1, body: { error: { type: 'INVALID_VALUE_FOR_COLUMN', message: 'bad value' } } });
    const res = await applyFix(ctx, { id: e._id, actor: 'UADMIN1' });
    expect(res).toMatchObject({ ok: false, reason: 'write_failed' });
    expect(res.message).toContain('nothing is marked fixed');
    expect((await exceptions({ _id: e._id }))[0]?.status).toBe('open');
    expect(await applyFix(ctx, { id: e._id, actor: 'UADMIN1' })).toMatchObject({ ok: true, outcome: 'applied' });
  });

  it('when an operator clicks Assign to me, then the exception names the assignee; a viewer is refused', async () => {
    await ctx.models.User.create({ slackUserId: 'UOPS1', role: 'operator', addedBy: 'test' });
    const e = await driftOn('16');
    const viewer = await assignException(ctx, { id: e._id, actor: 'UVIEW1' });
    expect(viewer.ok).toBe(false);
    const res = await assignException(ctx, { id: e._id, actor: 'UOPS1' });
    expect(res.ok && res.exception.assignee).toBe('UOPS1');
  });

  it('when policy allows auto-repair of missing rows in live mode, then the row is created and recorded as orch:auto-repair', async () => {
    await ctx.models.Policy.create({ name: 'reconcile-auto-repair', version: 1, rules: [], thresholds: { autoRepair: ['missing_in_mirror'] }, validFrom: new Date(0) });
    put('17');
    put('18', { industry: 'X' });
    row('rec18', '18');
    const res = await run();
    expect(res.autoRepaired).toBe(1);
    const created = [...fakes.airtable.table('Accounts').values()].find((r) => r.fields['HubSpot Id'] === '17');
    expect(created?.fields).toMatchObject({ Name: 'Acme 17', Domain: 'acme17.com', Employees: 50 });
    expect((await exceptions({ type: 'missing_in_mirror', objectId: '17' }))[0]).toMatchObject({ status: 'resolved', resolvedBy: 'orch:auto-repair' });
    expect((await exceptions({ type: 'field_drift', objectId: '18' }))[0]?.status).toBe('open');
    expect(await ctx.models.AuditEntry.countDocuments({ actor: 'orch:auto-repair', action: 'exception.apply', outcome: 'done' })).toBe(1);
    const report = await ctx.models.ReconcileReport.findById(res.reportId).lean();
    expect(report?.fixes).toEqual({ applied: 1, failed: 0 });
  });
});

describe('resilience', () => {
  it('when Airtable answers 429 mid-run, then the run backs off and completes with a full report', async () => {
    for (let i = 0; i < 250; i++) {
      put(String(100 + i));
      row(`recR${i}`, String(100 + i));
    }
    // Tighter than the adapter's own 5/s: later pages hit 429 and must be retried.
    fakes.airtable.rateLimit({ perSecond: 1 });
    const res = await run();
    expect(res.status).toBe('completed');
    expect(fakes.airtable.calls.some((c) => c.status === 429)).toBe(true);
    const report = await ctx.models.ReconcileReport.findById(res.reportId).lean();
    expect(report).toMatchObject({ status: 'completed', objectsCompared: { hubspot: 250, mirror: 250 }, apiCalls: { airtable: 3 }, errors: [] });
    expect(await exceptions()).toHaveLength(0);
  });

  it('when Airtable keeps failing, then the run is reported failed and nothing is closed', async () => {
    put('1', { industry: 'A' });
    row('rec1', '1');
    await run();
    fakes.airtable.inject({ match: 'GET /v0', status: 503, times: Infinity });
    const res = await run();
    expect(res.status).toBe('failed');
    const report = await ctx.models.ReconcileReport.findById(res.reportId).lean();
    expect(report?.errors[0]).toMatch(/airtable/i);
    expect((await exceptions({ type: 'field_drift' }))[0]?.status).toBe('open');
  });
});

describe('dead letters', () => {
  async function failedRun(id: string) {
    await ctx.models.Run.create({ _id: id, workflowId: 'company-intake', status: 'FAILED', objectType: 'company', objectId: '77', correlationKey: `company:77:${id}:company-intake`, attempts: 3, error: 'airtable: 503 after 3 attempts', errorClass: 'transient', finishedAt: new Date() });
  }

  it('when a run fails for good, then one integration_error exception with a card appears, and Retry puts the run back to PENDING', async () => {
    listenForFailedRuns(ctx);
    await failedRun('run_dlq1');
    ctx.events.emit('run.finished', 'run_dlq1', 'FAILED');
    const exc = await until(async () => (await exceptions({ type: 'integration_error', objectId: 'run_dlq1' }))[0], 5000, 'dead letter');
    expect(exc).toMatchObject({ severity: 'high', status: 'open', objectType: 'run' });
    expect(exc.title).toContain('failed after 3 attempts');
    await until(async () => fakes.slack.messagesIn('orch-alerts').find((m) => m.text?.includes('run_dlq1')), 5000, 'dead-letter card');
    // A scan (missed hint, other instance) does not add a second one.
    expect((await scanFailedRuns(ctx)).opened).toEqual([]);
    expect(await exceptions({ type: 'integration_error' })).toHaveLength(1);

    const res = await applyFix(ctx, { id: exc._id, actor: 'UADMIN1' });
    expect(res).toMatchObject({ ok: true, outcome: 'retried' });
    expect((await ctx.models.Run.findById('run_dlq1').lean())?.status).toBe('PENDING');
    expect((await exceptions({ _id: exc._id }))[0]).toMatchObject({ status: 'resolved', resolution: 'retried by UADMIN1' });
  });

  it('when the failed run was retried elsewhere, then the scan closes its dead letter', async () => {
    await failedRun('run_dlq2');
    const { opened } = await scanFailedRuns(ctx);
    expect(opened.map((e) => e.objectId)).toEqual(['run_dlq2']);
    await ctx.models.Run.updateOne({ _id: 'run_dlq2' }, { $set: { status: 'COMPLETED' } });
    expect((await scanFailedRuns(ctx)).closed).toBe(1);
  });
});

// Last in the file: it adds to the metric counters the first test checks.
describe('owner DMs', () => {
  it('when a high-severity exception concerns a company with a HubSpot owner, then the owner gets the DM, not the admins', async () => {
    fakes.hubspot.addOwner({ id: '77', email: 'dana.owner@example.com', firstName: 'Dana' });
    fakes.slack.addUser({ id: 'UOWNER77', email: 'dana.owner@example.com', name: 'dana' });
    put('50', { domain: 'fifty.com' });
    row('rec50', '50', { Domain: 'old-fifty.com' }); // drift on an identity field: high severity
    await run();
    const dm = await until(async () => fakes.slack.messagesIn('UOWNER77')[0], 10_000, 'owner DM');
    expect(`${dm.text} ${JSON.stringify(dm.blocks ?? [])}`).toContain('Acme 50');
    expect(fakes.slack.messagesIn('UADMIN1')).toEqual([]);
  });
});
