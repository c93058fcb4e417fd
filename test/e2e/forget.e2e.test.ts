import { describe, expect, it } from 'vitest';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import { creation, propertyChange, until } from '../helpers/ingest.ts';

/** Issue 14: `/orch forget contact <id>` (admin, confirmation modal with a reason) and HubSpot's contact.privacyDeletion, end to end. */
const EMAIL = 'jane.forget@acme-bank.com';

const e2e = useAppWithDb('forgete2e', { env: { LOG_LEVEL: 'warn' } });

/** Every document of every collection as lower-case text. */
async function everything(): Promise<string> {
  const out: string[] = [];
  for (const { name } of await e2e.conn.db!.listCollections().toArray()) for (const d of await e2e.conn.db!.collection(name).find({}).toArray()) out.push(`${name}: ${JSON.stringify(d)}`);
  return out.join('\n').toLowerCase();
}

function submitForget(meta: { contactId: string; channelId?: string }, reason: string, user = 'UADMIN1') {
  return e2e.app.slackAction({
    type: 'view_submission',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'TORCH' },
    view: { id: 'VFORGET1', team_id: 'TORCH', type: 'modal', callback_id: 'forget_contact_modal', private_metadata: JSON.stringify(meta), hash: 'h1', state: { values: { forget_reason_block: { forget_reason_input: { type: 'plain_text_input', value: reason } } } }, blocks: [], app_id: 'AORCH', bot_id: 'BORCHBOT' },
  });
}

describe('/orch forget contact', () => {
  it('when an admin runs /orch forget contact 501 and confirms with a reason, then the email is gone from every collection, the admin is told, and pii.forget is audited', async () => {
    e2e.fakes.hubspot.put('contacts', { id: '501', properties: { email: EMAIL, firstname: 'Jane' } });
    expect((await e2e.app.postHubSpot([propertyChange('contact', '501', 'email', EMAIL)])).status).toBe(200);
    await until(async () => (await everything()).includes(EMAIL), 10_000, 'the email stored');

    const res = await e2e.app.slashCommand({ text: 'forget contact 501', user_id: 'UADMIN1', channel_id: 'COPS', trigger_id: 'trig.forget1' });
    expect(res.status).toBe(200);
    const modal = await until(async () => e2e.fakes.slack.openedViews.find((v) => v.view.callback_id === 'forget_contact_modal'), 10_000, 'the confirmation modal');
    expect(JSON.stringify(modal.view)).toContain('Forget HubSpot contact 501?');

    const empty = await submitForget(JSON.parse(String(modal.view.private_metadata)) as { contactId: string }, '  ');
    expect(empty.body).toMatchObject({ response_action: 'errors', errors: { forget_reason_block: expect.stringContaining('reason is required') } });

    expect((await submitForget(JSON.parse(String(modal.view.private_metadata)) as { contactId: string }, 'GDPR request #7')).status).toBe(200);
    const entry = await until(async () => e2e.db.AuditEntry.findOne({ action: 'pii.forget', target: 'contact:501' }).lean(), 10_000, 'pii.forget');
    expect(entry).toMatchObject({ actor: 'UADMIN1', reason: 'GDPR request #7' });
    // The second pass (10 s later) also removes what ingest folded in while the first one ran.
    await until(async () => !(await everything()).includes(EMAIL), 30_000, 'the email gone from every collection');
    const told = await until(async () => e2e.fakes.slack.ephemerals.find((e) => (e.text ?? '').includes('Contact 501 forgotten')), 10_000, 'the admin told');
    expect(told.user).toBe('UADMIN1');
    expect(await e2e.db.WebhookEvent.findOne({ objectId: '501' }).lean()).toMatchObject({ forgotten: { by: 'UADMIN1', reason: 'GDPR request #7' } });
  });

  it('when a viewer submits the form, then nothing is forgotten and the refusal is audited', async () => {
    expect((await submitForget({ contactId: '999' }, 'because', 'UVIEWER9')).status).toBe(200);
    await until(async () => e2e.db.AuditEntry.findOne({ actor: 'UVIEWER9', action: 'pii.forget', outcome: 'refused' }).lean(), 10_000, 'refusal audited');
    expect(await e2e.db.AuditEntry.countDocuments({ action: 'pii.forget', target: 'contact:999', outcome: 'done' })).toBe(0);
  });

  it('when HubSpot sends contact.privacyDeletion, then the contact is forgotten at HubSpot\'s request', async () => {
    e2e.fakes.hubspot.put('contacts', { id: '502', properties: { email: 'second@acme.com' } });
    await e2e.app.postHubSpot([propertyChange('contact', '502', 'email', 'second@acme.com')]);
    await until(async () => (await everything()).includes('second@acme.com'), 10_000, 'stored');
    expect((await e2e.app.postHubSpot([{ ...creation('contact', 502), subscriptionType: 'contact.privacyDeletion' }])).status).toBe(200);
    await until(async () => e2e.db.AuditEntry.findOne({ action: 'pii.forget', target: 'contact:502', actor: 'hubspot:privacyDeletion' }).lean(), 10_000, 'pii.forget by HubSpot');
    expect(await everything()).not.toContain('second@acme.com');
  });
});
