import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import { createIngestMetrics } from '../../src/ingest/metrics.ts';
import { processUnits, type ClaimedUnit, type ProcessDeps } from '../../src/ingest/process.ts';
import { parseTriggerTable } from '../../workflows/triggers.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { reconcileContext } from '../helpers/reconcile.ts';

/** Issue 14 defects 4 and 6: processing units against the real HubSpot adapter and the HubSpot fake. */
let fakes: Fakes;
let ctx: AppContext;
let close: () => Promise<void>;
let metrics: ReturnType<typeof createIngestMetrics>;

const table = parseTriggerTable({
  fetch: {
    contact: { properties: ['email', 'jobtitle', 'lastmodifieddate'], associations: ['companies'] },
    deal: { properties: ['dealname', 'dealstage', 'hs_lastmodifieddate'], associations: [] },
  },
  triggers: [
    { name: 'contact-role-mapping', workflowId: 'contact-role-mapping', objectType: 'contact', events: ['contact.creation'] },
    { name: 'kickoff', workflowId: 'deal-stage-kickoff', objectType: 'deal', events: ['deal.propertyChange'], properties: ['dealstage'], stageTransitions: [{ property: 'dealstage', from: ['contractsent'], to: ['closedwon'] }] },
  ],
});

beforeAll(async () => {
  fakes = await startFakes();
  ({ ctx, close } = await reconcileContext('ingestproc', fakes, { ORCH_MODE: 'live' }));
  metrics = createIngestMetrics(ctx.metrics.registry);
});
afterAll(async () => {
  await close?.();
  await fakes?.stop();
});
beforeEach(async () => {
  fakes.reset();
  await Promise.all([ctx.models.Run.deleteMany({}), ctx.models.WorkUnit.deleteMany({}), ctx.models.ObjectState.deleteMany({})]);
});

function deps(over: Partial<ProcessDeps> = {}): ProcessDeps {
  return {
    models: ctx.models,
    hubspot: ctx.integrations.hubspot,
    table,
    metrics,
    logger: ctx.logger,
    events: ctx.events,
    mode: async () => 'live',
    maxAttempts: 1,
    ...over,
  };
}

let seq = 0;
function unit(objectType: string, objectId: string, events: { st: string; pn?: string; pv?: string }[], attempts = 1): ClaimedUnit {
  seq++;
  return {
    _id: `unit_${seq}_${objectId}`,
    objectType,
    objectId,
    claimedBy: `claim_${seq}`,
    claimedAt: new Date(),
    attempts,
    events: events.map((e, i) => ({ id: `ev_${seq}_${i}`, st: e.st, at: new Date(Date.now() + i), ...(e.pn ? { pn: e.pn, pv: e.pv ?? null } : {}) })),
  };
}

describe('enrichment errors are per object', () => {
  it('when one contact among 50 has an association read that fails, then the other 49 get their runs and only that one fails', async () => {
    fakes.hubspot.put('companies', { id: '900', properties: { name: 'Acme' } });
    for (let i = 1; i <= 50; i++) fakes.hubspot.put('contacts', { id: String(i), properties: { email: `c${i}@example.com`, lastmodifieddate: '1700000000000' }, associations: { companies: ['900'] } });
    fakes.hubspot.inject({ match: 'GET /crm/v4/objects/contacts/17/associations', status: 400, times: Infinity, body: { status: 'error', category: 'VALIDATION_ERROR', message: 'bad association' } });
    const units = Array.from({ length: 50 }, (_, i) => unit('contact', String(i + 1), [{ st: 'contact.creation' }]));
    const results = await processUnits(deps(), units);
    expect(results.filter((r) => r.status === 'done')).toHaveLength(49);
    expect(results.filter((r) => r.status === 'failed').map((r) => r.unitId)).toEqual([units[16]!._id]);
    expect(await ctx.models.Run.countDocuments({ workflowId: 'contact-role-mapping' })).toBe(49);
    const run = await ctx.models.Run.findOne({ objectId: '18' }).lean();
    expect((run?.envelope as { payload: { associations: Record<string, string[]> } }).payload.associations.companies).toEqual(['900']);
  });
});

describe('stage transitions survive a retried unit', () => {
  it('when run creation fails after the stage moved contractsent → closedwon, then the retry still sees the move and starts the run', async () => {
    fakes.hubspot.put('deals', { id: '501', properties: { dealname: 'D', dealstage: 'contractsent', hs_lastmodifieddate: '2026-11-01T10:00:00.000Z' } });
    await processUnits(deps(), [unit('deal', '501', [{ st: 'deal.propertyChange', pn: 'dealstage', pv: 'contractsent' }])]);
    fakes.hubspot.put('deals', { id: '501', properties: { dealname: 'D', dealstage: 'closedwon', hs_lastmodifieddate: '2026-11-01T10:05:00.000Z' } });
    const burst = unit('deal', '501', [{ st: 'deal.propertyChange', pn: 'dealstage', pv: 'closedwon' }]);
    // The database refuses the run creation once (the mode read precedes the insert).
    let fail = true;
    const flaky = deps({ maxAttempts: 3, mode: async () => (fail ? ((fail = false), Promise.reject(new Error('connection reset'))) : 'live') });
    // No pending window (slot) here, so the failed attempt is final; retry the same unit as the poller would.
    const first = await processUnits(flaky, [burst]);
    expect(first[0]?.status).toBe('failed');
    const again = await processUnits(flaky, [{ ...burst, claimedBy: 'claim_retry', attempts: 2 }]);
    expect(again[0], again[0]?.reason).toMatchObject({ status: 'done' });
    expect(await ctx.models.Run.countDocuments({ workflowId: 'deal-stage-kickoff', objectId: '501' })).toBe(1);
    expect((await ctx.models.ObjectState.collection.findOne({ _id: 'deal:501' as never }))?.values).toEqual({ dealstage: 'closedwon' });
  });
});
