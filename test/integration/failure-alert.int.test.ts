import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listenForFailedRuns } from '../../src/reconcile/service.ts';
import { flushAlerts } from '../../src/services/alerts.ts';
import { reportFailedRun } from '../../workflows/failure-alert.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { until } from '../helpers/ingest.ts';
import { reconcileContext } from '../helpers/reconcile.ts';

let fakes: Fakes;
let t: Awaited<ReturnType<typeof reconcileContext>>;
beforeAll(async () => {
  fakes = await startFakes();
  t = await reconcileContext('failalert', fakes);
  listenForFailedRuns(t.ctx);
});
afterAll(async () => {
  await t.close();
  await fakes.stop();
});
beforeEach(() => fakes.reset());

async function failRun(id: string, objectId = '501') {
  await t.ctx.models.Run.create({ _id: id, workflowId: 'company-intake', status: 'FAILED', objectType: 'company', objectId, correlationKey: `company:${objectId}:${id}:company-intake`, attempts: 3, error: 'airtable: 503 after 3 attempts', errorClass: 'transient', finishedAt: new Date() });
  // What the engine does on a failure: the hint first, then the report.
  t.ctx.events.emit('run.finished', id, 'FAILED');
  await reportFailedRun(t.ctx, { runId: id, workflowId: 'company-intake', objectType: 'company', objectId, errorClass: 'transient', reason: 'airtable: 503 after 3 attempts' });
  await until(async () => t.ctx.models.Exception.findOne({ objectId: id, 'slack.ts': { $exists: true } }).lean(), 5000, 'dead-letter card recorded');
  await flushAlerts(t.ctx);
}

describe('a failed run is alerted once', () => {
  it('when a run fails, then the alerts channel gets one post (its dead-letter card) and one DM is sent', async () => {
    fakes.hubspot.addOwner({ id: '77', email: 'owner@acme.test', firstName: 'Olive', lastName: 'Owner' });
    fakes.hubspot.put('company', { id: '501', properties: { name: 'Acme', hubspot_owner_id: '77' } });
    fakes.slack.addUser({ id: 'UOWNER77', email: 'owner@acme.test' });
    await failRun('run_once1');
    const posts = fakes.slack.messagesIn('orch-alerts').filter((m) => (m.text ?? '').includes('run_once1'));
    expect(posts).toHaveLength(1);
    expect(JSON.stringify(posts[0]?.blocks)).toContain('Retry');
    expect(fakes.slack.callsTo('conversations.open')).toHaveLength(1);
    const dms = fakes.slack.messages.filter((m) => m.channel.startsWith('D'));
    expect(dms).toHaveLength(1);
    expect(dms[0]?.channel).toBe('DUOWNER77');
  });

  it('when the owner is looked up, then only the HubSpot object is asked for, never the run', async () => {
    fakes.hubspot.put('company', { id: '502', properties: { name: 'Beta' } });
    await failRun('run_once2', '502');
    expect(fakes.hubspot.calls.filter((c) => c.path.includes('/objects/run'))).toEqual([]);
    expect(fakes.hubspot.calls.some((c) => c.path.includes('/crm/v3/objects/companies/502'))).toBe(true);
  });
});
