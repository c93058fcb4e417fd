import { describe, expect, it } from 'vitest';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import type { Fakes } from '../fakes/index.ts';
import { until } from '../helpers/ingest.ts';
import { companyWebhook } from '../helpers/approvals.ts';
import { hsCompany, mirrorRow } from '../helpers/reconcile.ts';

const ALERTS = 'orch-alerts';

// Shared-token writes naming their actor (legacy, issue 13); personal tokens: api-auth.e2e.test.ts.
const e2e = useAppWithDb('reconcile_e2e', { env: { ORCH_MODE: 'live', ORCH_RUNS_POLL: '200ms', ORCH_STEP_RETRIES: '2', LOG_LEVEL: 'warn', ORCH_API_TOKEN_WRITES: 'legacy' } });

type Msg = Fakes['slack']['messages'][number];
type Block = { type: string; elements?: { action_id?: string; value?: string }[] };
const user = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: 'TORCH' });
const cardFor = (needle: string) =>
  until(async () => e2e.fakes.slack.messagesIn(ALERTS).find((m) => JSON.stringify(m.blocks ?? []).includes(needle) && (m.blocks as Block[] | undefined)?.some((b) => b.type === 'actions')), 20_000, `card ${needle}`).then((m) => structuredClone(m));
const buttonValue = (m: Msg, actionId: string) => (m.blocks as Block[]).flatMap((b) => b.elements ?? []).find((e) => e.action_id === actionId)?.value as string;
const click = (m: Msg, actionId: string, by = 'UADMIN1') =>
  e2e.app.slackAction({
    type: 'block_actions',
    user: user(by),
    trigger_id: `trig.${Date.now()}`,
    channel: { id: m.channel, name: ALERTS },
    message: { type: 'message', ts: m.ts, text: m.text, blocks: m.blocks },
    container: { type: 'message', message_ts: m.ts, channel_id: m.channel, is_ephemeral: false },
    actions: [{ type: 'button', action_id: actionId, block_id: `exc_actions:${buttonValue(m, actionId)}`, value: buttonValue(m, actionId), action_ts: `${Date.now() / 1000}` }],
  });
const submitIgnore = (meta: Record<string, unknown>, reason: string) =>
  e2e.app.slackAction({
    type: 'view_submission',
    user: user('UADMIN1'),
    view: { id: 'VIGN1', team_id: 'TORCH', type: 'modal', callback_id: 'exception_ignore_modal', private_metadata: JSON.stringify(meta), hash: 'h', state: { values: { ignore_reason_block: { ignore_reason_input: { type: 'plain_text_input', value: reason } } } }, blocks: [], app_id: 'AORCH', bot_id: 'BORCHBOT' },
  });
const accountsWrites = () => e2e.fakes.airtable.calls.filter((c) => c.method !== 'GET' && /Accounts/.test(c.path) && !c.injected);

describe('reconciliation end to end', () => {
  it('when an admin runs /orch reconcile, then the job runs, the summary and a card are posted, and Apply clicked twice writes once', async () => {
    e2e.fakes.hubspot.put('companies', hsCompany('3001', { industry: 'RETAIL' }));
    e2e.fakes.airtable.add('Accounts', mirrorRow('3001'), 'rec3001');
    const refused = await e2e.app.slashCommand({ text: 'reconcile', user_id: 'UVIEWER9', channel_id: 'C0ALERTS' });
    expect(refused.status).toBe(200);
    const res = await e2e.app.slashCommand({ text: 'reconcile', user_id: 'UADMIN1', channel_id: 'C0ALERTS' });
    expect(res.status).toBe(200);
    await until(async () => e2e.fakes.slack.messagesIn(ALERTS).find((m) => m.text?.startsWith('Reconciliation completed')), 20_000, 'summary');
    const card = await cardFor('exception_apply');
    expect(JSON.stringify(card.blocks)).toContain('RETAIL');

    const before = accountsWrites().length;
    const [a, b] = await Promise.all([click(card, 'exception_apply'), click(card, 'exception_apply')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const exc = await until(async () => e2e.db.Exception.findOne({ objectId: '3001', type: 'field_drift', status: 'resolved' }).lean(), 10_000, 'resolved');
    expect(exc.resolvedBy).toBe('UADMIN1');
    await until(async () => e2e.fakes.slack.ephemerals.length >= 2, 10_000, 'two ephemeral answers');
    expect(accountsWrites().length - before).toBe(1);
    expect(e2e.fakes.airtable.table('Accounts').get('rec3001')?.fields.Industry).toBe('RETAIL');
    // The card is redrawn without buttons.
    const redrawn = await until(async () => {
      const m = e2e.fakes.slack.message(card.channel, card.ts);
      return m && !(m.blocks as Block[]).some((x) => x.type === 'actions') ? m : undefined;
    }, 10_000, 'redrawn card');
    expect(JSON.stringify(redrawn.blocks)).toContain('resolved');
    const reports = await e2e.app.api<{ items: { trigger: string; status: string; actor: string }[] }>('GET', '/api/reconcile/reports');
    expect(reports.body.items[0]).toMatchObject({ trigger: 'manual', status: 'completed', actor: 'UADMIN1' });
  });

  it('when Ignore is submitted without a reason, then the modal shows an error; with one, the exception is ignored', async () => {
    e2e.fakes.hubspot.put('companies', hsCompany('3002', { industry: 'MEDIA' }));
    e2e.fakes.airtable.add('Accounts', mirrorRow('3002'), 'rec3002');
    const run = await e2e.app.api<{ ok: boolean }>('POST', '/api/reconcile', { actor: 'UADMIN1' });
    expect(run.status).toBe(200);
    const card = await cardFor('MEDIA');
    // Error path: Slack refuses views.open (trigger expired) → the clicker is told, nothing changes.
    e2e.fakes.slack.inject({ match: 'views.open', status: 200, body: { ok: false, error: 'expired_trigger_id' }, times: 1 });
    await click(card, 'exception_ignore');
    await until(async () => e2e.fakes.slack.ephemerals.find((m) => m.text?.includes('Could not open the ignore dialog')), 10_000, 'error told');
    await click(card, 'exception_ignore');
    const opened = await until(async () => e2e.fakes.slack.openedViews.find((v) => (v.view as { callback_id?: string }).callback_id === 'exception_ignore_modal'), 10_000, 'ignore modal');
    const meta = JSON.parse((opened.view as { private_metadata: string }).private_metadata) as Record<string, unknown>;
    const empty = await submitIgnore(meta, '   ');
    expect(empty.body).toMatchObject({ response_action: 'errors', errors: { ignore_reason_block: expect.stringContaining('reason') } });
    expect((await e2e.db.Exception.findById(String(meta.exceptionId)).lean())?.status).toBe('open');
    const ok = await submitIgnore(meta, 'Media is curated by marketing in Airtable');
    expect(ok.status).toBe(200);
    const ignored = await until(async () => e2e.db.Exception.findOne({ _id: String(meta.exceptionId), status: 'ignored' }).lean(), 10_000, 'ignored');
    expect(ignored.resolution).toBe('Media is curated by marketing in Airtable');
  });

  it('when the API lists and resolves exceptions, then only admins act, a reason is required to ignore, and changed state refuses Apply', async () => {
    e2e.fakes.hubspot.put('companies', hsCompany('3003', { lifecyclestage: 'lead' }));
    e2e.fakes.airtable.add('Accounts', mirrorRow('3003'), 'rec3003');
    expect((await e2e.app.api('POST', '/api/reconcile', { actor: 'UVIEWER9' })).status).toBe(403);
    expect((await e2e.app.api('POST', '/api/reconcile', { actor: 'UADMIN1' })).status).toBe(200);
    const list = await e2e.app.api<{ items: { id: string; objectId: string; type: string }[]; next: string | null }>('GET', '/api/exceptions?status=open');
    const item = list.body.items.find((e) => e.objectId === '3003');
    expect(item?.type).toBe('field_drift');
    expect((await e2e.app.api('GET', '/api/exceptions?status=bogus')).status).toBe(400);
    const noReason = await e2e.app.api<{ error: string }>('POST', `/api/exceptions/${item?.id}/resolve`, { action: 'ignore', actor: 'UADMIN1' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error).toBe('reason_required');
    e2e.fakes.hubspot.put('companies', hsCompany('3003', { lifecyclestage: 'opportunity' }));
    const changed = await e2e.app.api<{ error: string; message: string }>('POST', `/api/exceptions/${item?.id}/resolve`, { action: 'apply', actor: 'UADMIN1' });
    expect(changed.status).toBe(409);
    expect(changed.body.message).toContain('Lifecycle Stage: HubSpot now "opportunity" (was "lead" at detection)');
  });

  it('when a workflow run fails for good, then a dead-letter card appears, /orch dlq lists it, and Retry re-runs it to completion', async () => {
    e2e.fakes.airtable.add('Accounts', mirrorRow('3100', { Industry: 'OLD' }), 'rec3100');
    e2e.fakes.airtable.inject({ match: /PATCH .*Accounts/, status: 422, times: Infinity, body: { error: { type: 'INVALID_VALUE_FOR_COLUMN', message: 'Field "Industry" cannot accept the provided value' } } });
    await companyWebhook(e2e.app, e2e.fakes, '3100', hsCompany('3100').properties);
    const failed = await until(async () => e2e.db.Run.findOne({ objectId: '3100', status: 'FAILED' }).lean(), 30_000, 'failed run');
    const card = await cardFor(failed._id);
    expect(buttonValue(card, 'exception_apply')).toBeTruthy();
    const dlq = await e2e.app.slashCommand({ text: 'dlq', user_id: 'UADMIN1', channel_id: 'C0ALERTS' });
    expect(dlq.status).toBe(200);
    await until(async () => e2e.fakes.slack.responses.find((r) => JSON.stringify(r.body).includes(failed._id)), 10_000, '/orch dlq answer');

    e2e.fakes.airtable.reset();
    e2e.fakes.airtable.add('Accounts', mirrorRow('3100', { Industry: 'OLD' }), 'rec3100');
    await click(card, 'exception_apply');
    await until(async () => e2e.db.Run.findOne({ _id: failed._id, status: 'COMPLETED' }).lean(), 30_000, 'retried run completes');
    expect(e2e.fakes.airtable.table('Accounts').get('rec3100')?.fields.Industry).toBe('SOFTWARE');
    expect((await e2e.db.Exception.findOne({ objectId: failed._id }).lean())).toMatchObject({ status: 'resolved', resolvedBy: 'UADMIN1' });
  });
});
