import { beforeAll, describe, expect, it } from 'vitest';
import type { Models } from '../../src/db/models/index.ts';
import type { AppProcess } from '../helpers/app-process.ts';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import type { Fakes } from '../fakes/index.ts';
import { creation, propertyChange, until } from '../helpers/ingest.ts';
import { textOf } from '../helpers/approvals.ts';
import { approveWith, choiceOf, sheetsOf, waitForWorkflowSheet } from '../helpers/choices.ts';

let fakes: Fakes;
let app: AppProcess;
let db: Models;
let kickoffDb: string;
const OWNER_EMAIL = 'olivia.owner@orch.test';

const e2e = useAppWithDb('kickoff', {
  env: (f) => {
    kickoffDb = f.notion.addDatabase({ title: 'Kickoffs' });
    f.hubspot.addOwner({ id: '77', email: OWNER_EMAIL, firstName: 'Olivia', lastName: 'Owner' });
    f.slack.addUser({ id: 'UOWNER77', email: OWNER_EMAIL, name: 'olivia' });
    return { ORCH_MODE: 'live', ORCH_RUNS_POLL: '200ms', ORCH_RUN_LEASE: '2s', ORCH_INGEST_LEASE_MS: '2000', ORCH_TZ: 'Europe/Berlin', NOTION_KICKOFF_DATABASE_ID: kickoffDb, LOG_LEVEL: 'warn' };
  },
});
// The tests below read these names; the helper starts and stops what they point to.
beforeAll(() => void ({ fakes, app, db } = e2e));

const kickoffRun = (dealId: string) => db.Run.findOne({ objectId: dealId, workflowId: 'deal-stage-kickoff' }).lean();
const finished = (dealId: string) => until(async () => db.Run.findOne({ objectId: dealId, workflowId: 'deal-stage-kickoff', status: { $in: ['COMPLETED', 'FAILED', 'CANCELLED'] } }).lean(), 20_000, `finished kickoff run for ${dealId}`);
const kickoffRows = (dealId: string) => [...fakes.airtable.table('Kickoffs').values()].filter((r) => r.fields['Deal Id'] === dealId);
const kickoffPages = (dealId: string) => [...fakes.notion.pages.values()].filter((p) => p.databaseId === kickoffDb && JSON.stringify(p.properties['Deal Id']).includes(`"${dealId}"`));
const icsUploads = (title: string) => fakes.slack.files.filter((f) => f.completed && f.title === title);
const processed = (dealId: string) => until(async () => (await db.WebhookEvent.countDocuments({ objectId: dealId, status: 'received' })) === 0 || null, 15_000, `deal ${dealId} processed`);

/** A won deal as HubSpot holds it: created in contractsent, then moved to closedwon (two bursts). */
async function winDeal(id: string, name: string, contacts: { id: string; email: string }[], companyId = `5${id}`) {
  fakes.hubspot.put('companies', { id: companyId, properties: { name: `${name} Inc`, domain: `${name.toLowerCase().replace(/\W+/g, '')}.com` } });
  for (const c of contacts) fakes.hubspot.put('contacts', { id: c.id, properties: { firstname: c.id, lastname: 'Contact', email: c.email } });
  const associations = { companies: [companyId], contacts: contacts.map((c) => c.id) };
  fakes.hubspot.put('deals', { id, properties: { dealname: name, amount: '8000', dealstage: 'contractsent', hubspot_owner_id: '77', hs_lastmodifieddate: '1' }, associations });
  expect((await app.postHubSpot([creation('deal', id)])).status).toBe(200);
  await processed(id);
  fakes.hubspot.put('deals', { id, properties: { dealname: name, amount: '8000', dealstage: 'closedwon', hubspot_owner_id: '77', hs_lastmodifieddate: '2' }, associations });
  const won = propertyChange('deal', id, 'dealstage', 'closedwon');
  expect((await app.postHubSpot([won])).status).toBe(200);
  return won;
}

describe('deal-stage-kickoff (no Google: .ics in Slack)', () => {
  it('when a deal moves contractsent → closedwon, then one sheet offers three slots with the first preselected; Approve books it once (.ics, Kickoffs row, Notion page), a second click and a re-delivery change nothing', async () => {
    const won = await winDeal('7201', 'Acme Rollout', [{ id: '6201', email: 'ann.buyer@acme.com' }, { id: '6202', email: 'bob.it@acme.com' }]);
    const sheet = await waitForWorkflowSheet(fakes, 'deal-stage-kickoff', '7201');
    const text = textOf(sheet);
    expect(text).toContain('Acme Rollout');
    expect(text).toContain('$8,000');
    expect(text).toContain('Acme Rollout Inc');
    expect(text).toContain('a***@acme.com');
    expect(text).not.toContain('ann.buyer@acme.com');
    expect(text).toContain('Deal recap');
    const radio = choiceOf(sheet);
    expect(radio?.type).toBe('radio_buttons');
    expect(radio?.options).toHaveLength(3);
    expect(radio?.initial_option?.value).toBe(radio?.options[0]?.value);

    // Approve alone: Slack's state.values carries the preselected option.
    expect((await approveWith(app, sheet, null)).status).toBe(200);
    expect((await finished('7201')).status).toBe('COMPLETED');
    const first = radio?.options[0]?.value as string;
    expect(kickoffRows('7201')).toHaveLength(1);
    expect(kickoffRows('7201')[0]?.fields).toMatchObject({ Deal: 'Acme Rollout', Slot: first, Event: 'ics', Status: 'booked' });
    expect((kickoffRows('7201')[0]?.fields.Account as string[]).length).toBe(1);
    expect(kickoffPages('7201')).toHaveLength(1);
    expect(kickoffRows('7201')[0]?.fields.Notion).toBe(kickoffPages('7201')[0]?.url);
    const uploads = icsUploads('Kickoff: Acme Rollout');
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.content).toContain('BEGIN:VCALENDAR');
    expect(uploads[0]?.content).toContain(`DTSTART:${first.replace(/[-:]/g, '').replace('.000', '')}`);
    expect(uploads[0]?.content).toMatch(/UID:orch[0-9a-v]+@orch/);
    expect(uploads[0]?.content).toContain('bob.it@acme.com');
    expect(uploads[0]?.thread_ts).toBe(sheet.ts);
    const reply = await until(async () => fakes.slack.messages.find((m) => m.thread_ts === sheet.ts), 10_000, 'thread reply');
    expect(reply.text).toContain(`<!date^${Date.parse(first) / 1000}^`);
    const dm = await until(async () => fakes.slack.messages.find((m) => m.channel === 'DUOWNER77' && (m.text ?? '').includes('Acme Rollout')), 10_000, 'owner DM');
    expect(dm.text).toContain('Kickoff booked');

    // A second click is told it is decided; the same transition delivered again starts nothing.
    await approveWith(app, sheet, null);
    await until(async () => fakes.slack.ephemerals.find((e) => /Already decided/.test(e.text ?? '')), 10_000, 'already decided');
    expect((await app.postHubSpot([won])).status).toBe(200);
    await processed('7201');
    expect(await db.Run.countDocuments({ objectId: '7201', workflowId: 'deal-stage-kickoff' })).toBe(1);
    expect(sheetsOf(fakes, 'deal-stage-kickoff', '7201')).toHaveLength(1);
    expect(icsUploads('Kickoff: Acme Rollout')).toHaveLength(1);
    expect(kickoffRows('7201')).toHaveLength(1);
    expect(kickoffPages('7201')).toHaveLength(1);
  });

  it('when the won deal was deleted in HubSpot before orch read it (404), then nothing starts and the skip is recorded with its reason', async () => {
    expect((await app.postHubSpot([propertyChange('deal', '7299', 'dealstage', 'closedwon')])).status).toBe(200);
    const unit = await until(async () => db.WorkUnit.findOne({ objectId: '7299', status: 'skipped' }).lean(), 15_000, 'skipped unit');
    expect(JSON.stringify(unit)).toContain('not found in HubSpot');
    expect(await db.Run.countDocuments({ objectId: '7299' })).toBe(0);
  });

  it('when the admin chooses the second slot before Approve, then the second slot is booked', async () => {
    await winDeal('7202', 'Beta Expansion', [{ id: '6203', email: 'cy@beta.com' }]);
    const sheet = await waitForWorkflowSheet(fakes, 'deal-stage-kickoff', '7202');
    const second = choiceOf(sheet)?.options[1]?.value as string;
    await approveWith(app, sheet, second);
    expect((await finished('7202')).status).toBe('COMPLETED');
    expect(kickoffRows('7202')[0]?.fields.Slot).toBe(second);
    expect((await db.Approval.findOne({ runId: (await kickoffRun('7202'))?._id }).lean())?.chosen).toBe(second);
    expect(icsUploads('Kickoff: Beta Expansion')[0]?.content).toContain(`DTSTART:${second.replace(/[-:]/g, '')}`);
  });

  it('when the process is SIGKILLed while the kickoff sheet waits, then Approve after the restart completes it; a deal without contacts invites the owner only', async () => {
    await winDeal('7203', 'Gamma Pilot', []);
    const sheet = await waitForWorkflowSheet(fakes, 'deal-stage-kickoff', '7203');
    expect(textOf(sheet)).toContain('Olivia Owner');
    await until(async () => (await kickoffRun('7203'))?.status === 'WAITING_APPROVAL', 10_000, 'WAITING_APPROVAL');
    expect(await app.kill()).toBe(137);
    await app.restart();
    expect((await approveWith(app, sheet, null)).status).toBe(200);
    expect((await finished('7203')).status).toBe('COMPLETED');
    const ics = icsUploads('Kickoff: Gamma Pilot');
    expect(ics).toHaveLength(1);
    expect(ics[0]?.content).toContain(OWNER_EMAIL);
    expect(kickoffRows('7203')).toHaveLength(1);
  });
});
