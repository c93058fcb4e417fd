import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { surfacesContext } from '../helpers/surfaces-ctx.ts';
import { alert, configureAlerts, flushAlerts } from '../../src/services/alerts.ts';

describe('DM alerts on the Slack fake and MongoDB', () => {
  let fakes: Fakes;
  let t: Awaited<ReturnType<typeof surfacesContext>>;

  beforeAll(async () => {
    fakes = await startFakes();
    t = await surfacesContext('alerts', fakes.slack, { ORCH_ADMINS: 'UADMIN1,UADMIN2', ORCH_ALERT_DEDUP: '1h' });
    for (const id of ['UADMIN1', 'UADMIN2']) await t.ctx.models.User.create({ slackUserId: id, role: 'admin' });
  });
  afterAll(async () => {
    await t?.close();
    await fakes?.stop();
  });
  beforeEach(() => {
    fakes.slack.reset();
    configureAlerts(t.ctx, { updateDelayMs: 50 });
  });

  it('when 50 identical failures arrive at once, then the owner gets one DM that says 50', async () => {
    fakes.slack.addUser({ id: 'UOWNER1', email: 'owner@acme.test' });
    const input = { key: 'run_failed:company-intake:burst', kind: 'run_failed' as const, severity: 'high' as const, text: 'company-intake failed: HubSpot 500', ownerEmail: 'owner@acme.test', runId: 'run_burst1' };
    const results = await Promise.all(Array.from({ length: 50 }, () => alert(t.ctx, input)));
    expect(results.filter((r) => r.outcome === 'sent')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'counted')).toHaveLength(49);
    await flushAlerts(t.ctx);

    const dms = fakes.slack.messages.filter((m) => m.channel.startsWith('D'));
    expect(dms).toHaveLength(1);
    expect(dms[0]!.channel).toBe('DUOWNER1');
    expect(dms[0]!.text).toContain('×50');
    expect(JSON.stringify(dms[0]!.blocks)).toContain('Happened *50 times*');
    const actions = JSON.stringify(dms[0]!.blocks);
    expect(actions).toContain('"action_id":"alert_view_run"');
    expect(actions).toContain('"action_id":"alert_retry_run"');
    expect(fakes.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(fakes.slack.callsTo('users.lookupByEmail')).toHaveLength(1);
  });

  it('when the owner email is unknown to Slack, then every admin gets the DM', async () => {
    const res = await alert(t.ctx, { key: 'exception:acme:missing', kind: 'exception', severity: 'high', text: 'Airtable row missing for company 42', ownerEmail: 'ghost@acme.test', exceptionId: 'exc_1' });
    expect(res.outcome).toBe('sent');
    expect(res.recipients.sort()).toEqual(['UADMIN1', 'UADMIN2']);
    expect(fakes.slack.messages.map((m) => m.channel).sort()).toEqual(['DUADMIN1', 'DUADMIN2']);
    expect(JSON.stringify(fakes.slack.messages[0]!.blocks)).toContain('"action_id":"alert_view_exception"');
  });

  it('when an alert repeats after its window, then a new DM is sent', async () => {
    const key = 'approval_expired:apr_1';
    await alert(t.ctx, { key, kind: 'approval_expired', severity: 'medium', text: 'Approval apr_1 expired', runId: 'run_x' });
    // Age the window past ORCH_ALERT_DEDUP instead of sleeping an hour.
    await t.ctx.models.Alert.updateOne({ _id: key }, { $set: { windowStart: new Date(Date.now() - 2 * 3600_000) } });
    const again = await alert(t.ctx, { key, kind: 'approval_expired', severity: 'medium', text: 'Approval apr_1 expired', runId: 'run_x' });
    expect(again).toMatchObject({ outcome: 'sent', count: 1 });
    expect(fakes.slack.callsTo('chat.postMessage')).toHaveLength(4);
  });

  it('when Slack refuses the DM, then alert() reports failed and does not throw', async () => {
    fakes.slack.inject({ match: 'chat.postMessage', status: 500, times: 10 });
    const res = await alert(t.ctx, { key: 'run_failed:x:y', kind: 'run_failed', severity: 'low', text: 'boom' });
    expect(res.outcome).toBe('failed');
  });
});
