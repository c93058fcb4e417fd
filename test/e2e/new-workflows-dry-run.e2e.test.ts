import { beforeAll, describe, expect, it } from 'vitest';
import type { Models } from '../../src/db/models/index.ts';
import type { AppProcess } from '../helpers/app-process.ts';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import type { Fakes } from '../fakes/index.ts';
import { creation, propertyChange, until } from '../helpers/ingest.ts';
import { textOf } from '../helpers/approvals.ts';
import { approveWith, waitForWorkflowSheet } from '../helpers/choices.ts';

let fakes: Fakes;
let app: AppProcess;
let db: Models;

const e2e = useAppWithDb('newdryrun', {
  env: (f) => {
    const kickoffDb = f.notion.addDatabase({ title: 'Kickoffs' });
    const checklistDb = f.notion.addDatabase({ title: 'Checklists' });
    f.hubspot.addOwner({ id: '77', email: 'owner@orch.test', firstName: 'O', lastName: 'Wner' });
    // ORCH_MODE defaults to dry-run.
    return { ORCH_RUNS_POLL: '200ms', NOTION_KICKOFF_DATABASE_ID: kickoffDb, NOTION_CHECKLIST_DATABASE_ID: checklistDb, LOG_LEVEL: 'warn' };
  },
});
// The tests below read these names; the helper starts and stops what they point to.
beforeAll(() => void ({ fakes, app, db } = e2e));

const finished = (objectId: string) => until(async () => db.Run.findOne({ objectId, status: { $in: ['COMPLETED', 'FAILED', 'CANCELLED'] } }).lean(), 20_000, `finished run for ${objectId}`);
const writesTo = (fake: { calls: { method: string }[] }) => fake.calls.filter((c) => c.method !== 'GET' && !/query|search|listRecords/.test(JSON.stringify(c))).length;

describe('dry-run mode for contact-role-mapping and deal-stage-kickoff', () => {
  it('when orch is in dry-run, then both sheets list their intended writes, Approve performs none of them and the thread says what would have been written', async () => {
    fakes.hubspot.put('contacts', { id: '6901', properties: { firstname: 'Dry', lastname: 'Run', email: 'dry@run.com', jobtitle: 'CFO' } });
    await app.postHubSpot([creation('contact', '6901')]);
    const contactSheet = await waitForWorkflowSheet(fakes, 'contact-role-mapping', '6901');
    expect(textOf(contactSheet)).toContain('Dry-run mode');
    expect(textOf(contactSheet)).toContain('airtable Contacts: upsert keyed by HubSpot Id=6901');
    expect(textOf(contactSheet)).toContain('hubspot contacts: update keyed by 6901');

    fakes.hubspot.put('deals', { id: '7901', properties: { dealname: 'Dry Deal', amount: '100', dealstage: 'closedwon', hubspot_owner_id: '77' } });
    await app.postHubSpot([propertyChange('deal', '7901', 'dealstage', 'closedwon')]);
    const dealSheet = await waitForWorkflowSheet(fakes, 'deal-stage-kickoff', '7901');
    expect(textOf(dealSheet)).toContain('Dry-run mode');
    expect(textOf(dealSheet)).toContain('slack kickoff.ics: create');
    expect(textOf(dealSheet)).toContain('airtable Kickoffs: upsert keyed by Deal Id=7901');

    const before = { airtable: writesTo(fakes.airtable), hubspot: fakes.hubspot.calls.filter((c) => c.method === 'PATCH').length, notion: fakes.notion.callsTo('POST /v1/pages').length };
    await approveWith(app, contactSheet, 'finance');
    await approveWith(app, dealSheet, null);
    expect((await finished('6901')).status).toBe('COMPLETED');
    expect((await finished('7901')).status).toBe('COMPLETED');
    expect(writesTo(fakes.airtable)).toBe(before.airtable);
    expect(fakes.hubspot.calls.filter((c) => c.method === 'PATCH').length).toBe(before.hubspot);
    expect(fakes.notion.callsTo('POST /v1/pages').length).toBe(before.notion);
    expect(fakes.slack.files).toHaveLength(0);
    const replies = await until(async () => {
      const r = fakes.slack.messages.filter((m) => m.thread_ts === contactSheet.ts || m.thread_ts === dealSheet.ts);
      return r.length === 2 ? r : null;
    }, 10_000, 'two thread replies');
    for (const r of replies) expect(r.text).toContain('Dry-run');
  });
});
