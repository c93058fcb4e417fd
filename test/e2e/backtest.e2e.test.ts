import { beforeAll, describe, expect, it } from 'vitest';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import { until } from '../helpers/ingest.ts';
import { personalToken } from '../helpers/api-tokens.ts';

const DAY = 86_400_000;

/** A past procurement-approval run whose policy step saw `facts` and decided `did`. */
function run(id: string, daysAgo: number, facts: Record<string, unknown>, did: boolean, matched: string[]) {
  const at = new Date(Date.now() - daysAgo * DAY);
  return {
    _id: id, workflowId: 'procurement-approval', status: 'COMPLETED', objectType: 'deal', objectId: `d${id}`, correlationKey: `deal:${id}:1:procurement-approval`, startedAt: at,
    policyCheck: { policy: 'procurement-approval', version: 1, facts, needsApproval: did, matched, at },
  };
}

const e2e = useAppWithDb('backtest_e2e', { env: { LOG_LEVEL: 'warn' } });
beforeAll(async () => {
  await e2e.db.User.create({ slackUserId: 'UOPER1', role: 'operator' });
  await e2e.db.Run.insertMany([
    run('run_bt1', 2, { amount: 5000, dealstage: 'appointmentscheduled' }, false, []),
    run('run_bt2', 3, { amount: 15000, dealstage: 'appointmentscheduled' }, true, ['amount_threshold']),
    run('run_bt3', 9, { amount: 50000, dealstage: 'appointmentscheduled' }, true, ['amount_threshold']),
    run('run_bt4', 10, { amount: 120000, dealstage: 'closedwon' }, true, ['amount_threshold']),
    run('run_bt5', 16, { amount: 8000, dealstage: 'procurement' }, true, ['approval_stage']),
    run('run_bt7', 20, { amount: 9000, dealstage: 'qualifiedtobuy' }, false, []),
    run('run_bt6', 40, { amount: 30000, dealstage: 'appointmentscheduled' }, true, ['amount_threshold']),
  ]);
});

const STAGES = ['contractsent', 'procurement', 'decisionmakerboughtin'];
const draftRules = [
  { id: 'amount_threshold', description: 'Amount at or above $20,000', when: { field: 'amount', op: 'gte', value: 20000 }, level: 'HIGH', requiresApproval: true },
  { id: 'approval_stage', when: { field: 'dealstage', op: 'in', value: [...STAGES, 'qualifiedtobuy'] }, level: 'MEDIUM', requiresApproval: true },
  { id: 'big_deal', when: { field: 'amount', op: 'gte', value: 100000 }, level: 'HIGH', requiresApproval: true, approvals: { required: 2, from: 'admins' } },
];
const expectedFigures = {
  runs: 6,
  didNeedApproval: 4,
  wouldNeedApproval: 4,
  votesNeeded: 5,
  flips: {
    toApproval: 1,
    toAuto: 1,
    runs: [
      { runId: 'run_bt7', direction: 'to_approval', rule: 'approval_stage' },
      { runId: 'run_bt2', direction: 'to_auto', rule: 'amount_threshold' },
    ],
  },
};

describe('policy backtest', () => {
  it('when a draft is posted to /api/policies/backtest, then exactly the known flips, the votes and the weekly load come back, with no write and no external call', async () => {
    const hubspotCalls = e2e.fakes.hubspot.calls.length;
    const res = await e2e.app.api<{ flips: { runs: { runId: string }[] }; loadPerWeek: { did: number; wouldNeed: number; votesNeeded: number }[]; id: string }>('POST', '/api/policies/backtest', { name: 'procurement-approval', thresholds: { amount: 20000 }, rules: draftRules, days: 30 });
    expect(res.status).toBe(200);
    // Oldest first: run_bt7 (20 days ago), then run_bt2 (3 days ago).
    expect(res.body).toMatchObject(expectedFigures);
    expect(res.body.loadPerWeek.reduce((n, w) => n + w.votesNeeded, 0)).toBe(5);
    expect(res.body.id).toMatch(/^bt_[0-9a-f]{12}$/);
    expect(e2e.fakes.hubspot.calls.length).toBe(hubspotCalls);
    expect(await e2e.db.Policy.countDocuments({ name: 'procurement-approval' })).toBe(1);
    const bad = await e2e.app.api('POST', '/api/policies/backtest', { name: 'procurement-approval', rules: [{ id: 'x' }], days: 30 });
    expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_policy' } });
  });

  it('when an admin runs /orch backtest, edits fields and the JSON, then the result lists the flips and Save as version 2 creates it with the backtest id audited', async () => {
    const opened = e2e.fakes.slack.openedViews.length;
    expect((await e2e.app.slashCommand({ text: 'backtest procurement-approval --days 30', user_id: 'UADMIN1', channel_id: 'COPS1' })).status).toBe(200);
    const modal = await until(async () => e2e.fakes.slack.openedViews[opened], 10_000, 'backtest modal');
    const view = modal.view as { callback_id: string; private_metadata: string; blocks: { block_id?: string; element?: { initial_value?: string } }[] };
    expect(view.callback_id).toBe('policy_backtest_modal');
    const initial = (id: string) => view.blocks.find((b) => b.block_id === id)?.element?.initial_value;
    expect(initial('bt_rule:amount_threshold')).toBe('10000');
    expect(initial('bt_rule:approval_stage')).toBe(STAGES.join(', '));
    const json = JSON.parse(initial('bt_json') as string) as { rules: unknown[]; thresholds: unknown };
    json.rules.push(draftRules[2]);
    const values: Record<string, Record<string, { type: string; value: string }>> = {};
    for (const b of view.blocks) if (b.block_id && b.element) values[b.block_id] = { value: { type: 'plain_text_input', value: b.element.initial_value ?? '' } };
    values['bt_rule:amount_threshold'] = { value: { type: 'number_input', value: '20000' } };
    values['bt_rule:approval_stage'] = { value: { type: 'plain_text_input', value: [...STAGES, 'qualifiedtobuy'].join(', ') } };
    values.bt_json = { value: { type: 'plain_text_input', value: JSON.stringify(json, null, 2) } };
    const before = e2e.fakes.slack.ephemerals.length;
    const submit = await e2e.app.slackAction({
      type: 'view_submission',
      user: { id: 'UADMIN1', username: 'admin', name: 'admin', team_id: 'TORCH' },
      view: { id: modal.id, team_id: 'TORCH', type: 'modal', callback_id: 'policy_backtest_modal', private_metadata: view.private_metadata, hash: modal.hash, state: { values }, blocks: view.blocks, app_id: 'AORCH', bot_id: 'BORCHBOT' },
    });
    expect(submit.status).toBe(200);
    const result = await until(async () => e2e.fakes.slack.ephemerals.slice(before).find((e) => e.user === 'UADMIN1' && /Backtest/.test(e.text ?? '')), 10_000, 'backtest result');
    const text = JSON.stringify(result.blocks);
    expect(text).toContain('run_bt7');
    expect(text).toContain('run_bt2');
    expect(text).not.toContain('run_bt3');
    expect(text).toMatch(/\*6\* runs replayed/);
    const id = /bt_[0-9a-f]{12}/.exec(text)?.[0];
    const button = (result.blocks as { type: string; elements?: { action_id: string; value: string; text: { text: string } }[] }[]).find((b) => b.type === 'actions')?.elements?.[0];
    expect(button?.text.text).toBe('Save as version 2');

    const click = (user: string) =>
      e2e.app.slackAction({
        type: 'block_actions',
        user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'TORCH' },
        channel: { id: result.channel, name: 'ops' },
        container: { type: 'message', message_ts: result.message_ts, channel_id: result.channel, is_ephemeral: true },
        actions: [{ type: 'button', action_id: 'backtest_save', block_id: 'backtest_actions', value: button?.value, action_ts: `${Date.now() / 1000}` }],
      });
    await click('UOPER1');
    await until(async () => e2e.db.AuditEntry.findOne({ actor: 'UOPER1', action: 'policy.add_version', outcome: 'refused' }).lean(), 5000, 'operator refused');
    await click('UADMIN1');
    const v2 = await until(async () => e2e.db.Policy.findOne({ name: 'procurement-approval', version: 2 }).lean(), 10_000, 'version 2');
    expect(v2.createdBy).toBe('UADMIN1');
    // The seeded rules with the two edited fields, plus the rule added in the JSON field.
    expect((v2.rules as { id: string; when: { value: unknown } }[]).map((r) => [r.id, r.when.value])).toEqual([
      ['amount_threshold', 20000],
      ['approval_stage', [...STAGES, 'qualifiedtobuy']],
      ['large_deal', 100000],
      ['big_deal', 100000],
    ]);
    const entry = await e2e.db.AuditEntry.findOne({ action: 'policy.version_added', target: 'procurement-approval@2' }).lean();
    expect(entry).toMatchObject({ actor: 'UADMIN1', details: { backtestId: id } });
    expect(await e2e.db.Policy.countDocuments({ name: 'procurement-approval' })).toBe(2);
  });

  it('when POST /api/policies carries a backtestId, then the version is created as usual with that id in its audit entry', async () => {
    const token = await personalToken(e2e.app, e2e.fakes, 'UADMIN1', 'bt');
    const res = await e2e.app.api<{ version: number }>('POST', '/api/policies', { name: 'procurement-approval', thresholds: {}, rules: draftRules, backtestId: 'bt_0123456789ab' }, token);
    expect(res.status).toBe(201);
    expect(await e2e.db.AuditEntry.findOne({ action: 'policy.version_added', target: `procurement-approval@${res.body.version}` }).lean()).toMatchObject({ details: { backtestId: 'bt_0123456789ab' }, via: 'API token bt' });
  });
});
