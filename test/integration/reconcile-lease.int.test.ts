import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { hsCompany, mirrorRow, reconcileContext } from '../helpers/reconcile.ts';
import { reconcileNow } from '../../src/reconcile/service.ts';
import { applyFix } from '../../src/reconcile/fixes.ts';
import type { ExceptionView } from '../../src/reconcile/exceptions.ts';

/** Issue 14 defect 3: an exception left `applying` by a crash is reclaimed once its lease lapses. */
let fakes: Fakes;
let ctx: AppContext;
let close: () => Promise<void>;

beforeAll(async () => {
  fakes = await startFakes();
  ({ ctx, close } = await reconcileContext('reclease', fakes, { ORCH_MODE: 'live' }));
});
afterAll(async () => {
  await close?.();
  await fakes?.stop();
});
beforeEach(async () => {
  fakes.reset();
  await ctx.models.Exception.deleteMany({});
  await ctx.models.ReconcileLock.deleteMany({});
});

const one = async (id: string) => (await ctx.models.Exception.findOne({ _id: id }).lean()) as unknown as ExceptionView;
const reconcile = async () => {
  const res = await reconcileNow(ctx, { trigger: 'manual', actor: 'UADMIN1' });
  if (!('reportId' in res)) throw new Error(`reconciliation did not run: ${res.status}`);
};

async function driftOn(id: string): Promise<ExceptionView> {
  fakes.hubspot.put('companies', hsCompany(id, { industry: 'BANKING' }));
  fakes.airtable.add('Accounts', mirrorRow(id), `rec${id}`);
  await reconcile();
  const e = await ctx.models.Exception.findOne({ type: 'field_drift', objectId: id }).lean();
  return e as unknown as ExceptionView;
}

/** What a process that claimed the fix and then died leaves behind (raw write: no app code involved). */
async function crashAfterClaim(id: string, leaseUntil: Date | null): Promise<void> {
  const lease = leaseUntil ? { lease: { token: 'lease_dead', until: leaseUntil } } : {};
  await ctx.models.Exception.collection.updateOne({ _id: id as never }, { $set: { status: 'applying', resolvedBy: 'UADMIN1', ...lease } });
}

describe('an exception left applying by a crash', () => {
  it('when the fix holder died and its lease lapsed, then Apply fixes it instead of answering "already being fixed"', async () => {
    const e = await driftOn('31');
    await crashAfterClaim(e._id, new Date(Date.now() - 1000));
    const res = await applyFix(ctx, { id: e._id, actor: 'UADMIN1' });
    expect(res).toMatchObject({ ok: true, outcome: 'applied' });
    expect(fakes.airtable.table('Accounts').get('rec31')?.fields.Industry).toBe('BANKING');
    const after = await one(e._id);
    expect(after).toMatchObject({ status: 'resolved', resolvedBy: 'UADMIN1' });
    expect(after.lease).toBeUndefined();
  });

  it('when one was left applying by a version without leases, then it counts as lapsed', async () => {
    const e = await driftOn('32');
    await crashAfterClaim(e._id, null);
    expect(await applyFix(ctx, { id: e._id, actor: 'UADMIN1' })).toMatchObject({ ok: true, outcome: 'applied' });
  });

  it('when the lease lapsed and the drift is detected again, then the exception is open again with a note, not absorbed silently', async () => {
    const e = await driftOn('33');
    await crashAfterClaim(e._id, new Date(Date.now() - 1000));
    await reconcile();
    const after = (await ctx.models.Exception.findOne({ _id: e._id }).lean()) as unknown as ExceptionView & { notes: { text: string }[] };
    expect(after.status).toBe('open');
    expect(after.lease).toBeUndefined();
    expect(after.notes.map((n) => n.text).join('\n')).toContain('a fix was interrupted before it finished');
  });

  it('when the fix holder is still within its lease, then a second Apply is still told it is being fixed and writes nothing', async () => {
    const e = await driftOn('34');
    await crashAfterClaim(e._id, new Date(Date.now() + 60_000));
    const res = await applyFix(ctx, { id: e._id, actor: 'UADMIN1' });
    expect(res).toMatchObject({ ok: false, reason: 'not_open' });
    expect(res.message).toContain('already being fixed by UADMIN1');
    expect(fakes.airtable.calls.filter((c) => c.method !== 'GET')).toHaveLength(0);
  });

  it('when Apply claims a fix, then the claim carries a lease that ends and is fenced by its token', async () => {
    const e = await driftOn('35');
    fakes.airtable.inject({ match: /PATCH .*rec35/, delayMs: 400 });
    const pending = applyFix(ctx, { id: e._id, actor: 'UADMIN1' });
    let claimed: ExceptionView | null = null;
    for (let i = 0; i < 100 && !claimed?.lease; i++) {
      claimed = await one(e._id);
      if (!claimed.lease) await new Promise((r) => setTimeout(r, 20));
    }
    expect(claimed?.status).toBe('applying');
    expect(new Date(claimed!.lease!.until!).getTime()).toBeGreaterThan(Date.now());
    // Someone reclaims it meanwhile (as after a lapse): the first holder cannot close it any more.
    await ctx.models.Exception.collection.updateOne({ _id: e._id as never }, { $set: { 'lease.token': 'lease_other' } });
    await pending;
    expect((await one(e._id)).status).toBe('applying');
  });
});
