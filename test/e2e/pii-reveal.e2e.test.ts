/**
 * Issue 12 items 4 and 5 through real Slack interactions against the fakes: personal data is
 * masked on the sheet; an admin reveals it with a stated reason (audited, shown only to them in a
 * modal); a viewer is refused politely (audited); nothing raw ever reaches a channel.
 */
import { describe, expect, it } from 'vitest';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import type { Fakes } from '../fakes/index.ts';
import { until } from '../helpers/ingest.ts';
import { APPROVALS_CHANNEL, companyWebhook, textOf, waitForSheet } from '../helpers/approvals.ts';

const e2e = useAppWithDb('pii_reveal', { env: { ORCH_MODE: 'dry-run', ORCH_RUNS_POLL: '200ms', LOG_LEVEL: 'warn' } });

type Msg = Fakes['slack']['messages'][number];
type Button = { action_id?: string; value?: string };

function revealValue(m: Msg): string | undefined {
  for (const b of (m.blocks ?? []) as { type: string; elements?: Button[] }[]) {
    const hit = b.type === 'actions' ? b.elements?.find((e) => e.action_id === 'pii_reveal') : undefined;
    if (hit) return hit.value;
  }
  return undefined;
}

function clickReveal(m: Msg, value: string, user: string) {
  return e2e.app.slackAction({
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'TORCH' },
    channel: { id: m.channel, name: APPROVALS_CHANNEL },
    message: { type: 'message', ts: m.ts, text: m.text, blocks: m.blocks },
    container: { type: 'message', message_ts: m.ts, channel_id: m.channel, is_ephemeral: false },
    actions: [{ type: 'button', action_id: 'pii_reveal', block_id: 'approval_actions', value, action_ts: `${Date.now() / 1000}` }],
  });
}

function submitReason(privateMetadata: string, reason: string, user = 'UADMIN1') {
  return e2e.app.slackAction({
    type: 'view_submission',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'TORCH' },
    view: {
      id: 'VREVEAL1', team_id: 'TORCH', type: 'modal', callback_id: 'pii_reveal_modal', private_metadata: privateMetadata, hash: 'h1',
      state: { values: { reveal_reason_block: { reveal_reason_input: { type: 'plain_text_input', value: reason } } } },
      blocks: [], app_id: 'AORCH', bot_id: 'BORCHBOT',
    },
  });
}

const RAW_PHONE = '415 555 4567';
const RAW_EMAIL = 'jane.doe@acme-bank.com';
const everythingPosted = () => JSON.stringify([e2e.fakes.slack.messages, e2e.fakes.slack.ephemerals, e2e.fakes.slack.responses]);

describe('PII on the approval sheet: masked, revealed with a reason', () => {
  let sheet: Msg;
  let value: string;

  it('when a company name carries a phone number and an email, then the sheet masks both and offers Reveal', async () => {
    await companyWebhook(e2e.app, e2e.fakes, '7301', { name: `Acme Bank (call ${RAW_PHONE} or ${RAW_EMAIL})`, domain: 'acme-bank.com', industry: 'BANKING', numberofemployees: '50', annualrevenue: '25000000.5' });
    sheet = await waitForSheet(e2e.fakes, 'Acme Bank');
    const text = textOf(sheet);
    expect(text).toContain('*** *** 4567');
    expect(text).toContain('j***@acme-bank.com');
    expect(text).not.toContain(RAW_PHONE);
    expect(text).not.toContain(RAW_EMAIL);
    expect(sheet.text).toContain('*** *** 4567');
    // Amounts are never masked.
    expect(text).toContain('25,000,000.5');
    value = revealValue(sheet) as string;
    expect(value).toMatch(/^approval:/);
  });

  it('when a viewer clicks Reveal, then they are refused politely, the refusal is audited and no modal opens', async () => {
    const opened = e2e.fakes.slack.openedViews.length;
    const res = await clickReveal(sheet, value, 'UVIEWER9');
    expect(res.status).toBe(200);
    const refusal = await until(async () => e2e.fakes.slack.ephemerals.find((e) => e.user === 'UVIEWER9'), 10_000, 'refusal ephemeral');
    expect(refusal.text).toMatch(/only admins can reveal personal data/i);
    const audit = await until(async () => e2e.db.AuditEntry.findOne({ action: 'pii.reveal', actor: 'UVIEWER9' }).lean(), 10_000, 'refusal audit');
    expect(audit).toMatchObject({ outcome: 'refused', target: value });
    expect(e2e.fakes.slack.openedViews.length).toBe(opened);
  });

  it('when an admin clicks Reveal, then a modal asks for a reason, an empty one is refused, and a real one shows the raw values to them only (audited)', async () => {
    const res = await clickReveal(sheet, value, 'UADMIN1');
    expect(res.status).toBe(200);
    const modal = await until(async () => e2e.fakes.slack.openedViews.find((v) => v.view.callback_id === 'pii_reveal_modal'), 10_000, 'reason modal');
    const meta = modal.view.private_metadata as string;
    expect(JSON.stringify(modal.view)).not.toContain(RAW_PHONE);

    const empty = await submitReason(meta, '  ');
    expect(empty.body).toMatchObject({ response_action: 'errors', errors: { reveal_reason_block: expect.stringMatching(/why/i) } });
    expect(await e2e.db.AuditEntry.countDocuments({ action: 'pii.reveal', actor: 'UADMIN1' })).toBe(0);

    const shown = await submitReason(meta, 'calling the customer back about the renewal');
    const body = shown.body as { response_action: string; view: { blocks: unknown[] } };
    expect(body.response_action).toBe('update');
    const revealed = JSON.stringify(body.view);
    expect(revealed).toContain(RAW_PHONE);
    expect(revealed).toContain(RAW_EMAIL);

    const audit = await e2e.db.AuditEntry.findOne({ action: 'pii.reveal', actor: 'UADMIN1' }).lean();
    expect(audit).toMatchObject({ outcome: 'allowed', target: value, reason: 'calling the customer back about the renewal' });
    expect((audit?.details as { fields: string[] }).fields).toContain('Title');
    expect(audit?.details).toMatchObject({ kind: 'approval', objectType: 'company', objectId: '7301' });
    // Never in a channel, an ephemeral or a response_url reply.
    expect(everythingPosted()).not.toContain(RAW_PHONE);
    expect(everythingPosted()).not.toContain(RAW_EMAIL);
  });
});

describe('PII on an exception card and in /orch run', () => {
  it('when an admin reveals an exception card\'s hidden values with a reason, then they see the raw email in the modal and it is audited', async () => {
    const now = new Date();
    await e2e.db.Exception.create({
      _id: 'exc_pii1', type: 'field_drift', severity: 'medium', objectType: 'contact', objectId: '88', status: 'open', openKey: 'field_drift:contact:88',
      title: `Contact 88: email differs (${RAW_EMAIL})`, diff: [{ field: 'email', hubspot: RAW_EMAIL, mirror: 'old@acme-bank.com' }], occurrences: 1, firstSeenAt: now, lastSeenAt: now,
    });
    const card = { channel: 'C0ALERTS', ts: '1.1', text: 'card', blocks: [] } as unknown as Msg;
    await clickReveal(card, 'exception:exc_pii1', 'UADMIN1');
    const modal = await until(async () => e2e.fakes.slack.openedViews.find((v) => v.view.callback_id === 'pii_reveal_modal' && String(v.view.private_metadata).includes('exc_pii1')), 10_000, 'reason modal');
    expect(JSON.stringify(modal.view)).toContain('email (HubSpot)');
    const shown = await submitReason(modal.view.private_metadata as string, 'customer asked which address we have');
    expect(JSON.stringify(shown.body)).toContain(RAW_EMAIL);
    const audit = await e2e.db.AuditEntry.findOne({ action: 'pii.reveal', target: 'exception:exc_pii1' }).lean();
    expect(audit).toMatchObject({ actor: 'UADMIN1', outcome: 'allowed', reason: 'customer asked which address we have', details: { objectType: 'contact', objectId: '88' } });
    expect(everythingPosted()).not.toContain(RAW_EMAIL);
  });

  it('when a viewer opens /orch run for the run, then the approval title is masked and a Reveal button is offered (which refuses them)', async () => {
    const run = await e2e.db.Run.findOne({ objectId: '7301' }).lean();
    expect(run).toBeTruthy();
    const before = e2e.fakes.slack.responses.length;
    const res = await e2e.app.slashCommand({ text: `run ${run?._id}`, user_id: 'UVIEWER9', channel_id: 'C0GENERAL' });
    expect(res.status).toBe(200);
    const reply = await until(async () => e2e.fakes.slack.responses.slice(before).find((r) => JSON.stringify(r.body).includes('run_approvals')), 10_000, '/orch run reply');
    const json = JSON.stringify(reply.body);
    expect(json).toContain('*** *** 4567');
    expect(json).not.toContain(RAW_PHONE);
    expect(json).toContain('pii_reveal');
  });
});
