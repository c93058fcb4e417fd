import { beforeAll, describe, expect, it } from 'vitest';
import type mongoose from 'mongoose';
import type { Models } from '../../src/db/models/index.ts';
import type { AppProcess } from '../helpers/app-process.ts';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import type { Fakes } from '../fakes/index.ts';
import type { ChatRequest } from '../fakes/openai.ts';
import { creation, propertyChange, until } from '../helpers/ingest.ts';
import { textOf } from '../helpers/approvals.ts';
import { approveWith, choiceOf, pick, sheetsOf, waitForWorkflowSheet } from '../helpers/choices.ts';
import { defaultRoleTables } from '../../workflows/role-rules.ts';

let fakes: Fakes;
let app: AppProcess;
let conn: mongoose.Connection;
let db: Models;
let checklistDb: string;

/** OpenAI answers the role schema from the job title in the prompt (as a model would); other schemas get the default. */
const AI_ROLES: Record<string, { roleCategory: string; seniority: string; confidence: number }> = {
  'VP of Finance': { roleCategory: 'finance', seniority: 'vp', confidence: 0.92 },
  'Software Engineer': { roleCategory: 'technical', seniority: 'individual', confidence: 0.95 },
};
function answer(req: ChatRequest) {
  if (req.response_format?.json_schema?.name !== 'contact_role') return { industry: 'Software', riskLevel: 'LOW', summary: 'A company.' };
  const title = (JSON.parse(String(req.messages.at(-1)?.content)) as { jobTitle: string }).jobTitle;
  return AI_ROLES[title] ?? { roleCategory: 'other', seniority: 'unknown', confidence: 0.2 };
}

const e2e = useAppWithDb('contactroles', {
  env: (f) => {
    checklistDb = f.notion.addDatabase({ title: 'Permission checklists' });
    f.notion.addPage({ title: 'Legal review template', url: 'https://notion.so/tpl-legal' });
    f.notion.addPage({ title: 'Engineering onboarding template', properties: { Role: 'technical' }, url: 'https://notion.so/tpl-tech' });
    f.openai.respondWith(answer);
    return { ORCH_MODE: 'live', ORCH_RUNS_POLL: '200ms', NOTION_CHECKLIST_DATABASE_ID: checklistDb, LOG_LEVEL: 'warn' };
  },
});
// The tests below read these names; the helper starts and stops what they point to.
beforeAll(() => void ({ fakes, app, conn, db } = e2e));

async function contactWebhook(id: string, properties: Record<string, string>, companyId?: string) {
  fakes.hubspot.put('contacts', { id, properties, ...(companyId ? { associations: { companies: [companyId] } } : {}) });
  const res = await app.postHubSpot([creation('contact', id)]);
  expect(res.status).toBe(200);
}
const finished = (objectId: string) =>
  until(async () => db.Run.findOne({ objectId, workflowId: 'contact-role-mapping', status: { $in: ['COMPLETED', 'FAILED', 'CANCELLED'] } }).lean(), 20_000, `finished run for ${objectId}`);
const contactRows = (id: string) => [...fakes.airtable.table('Contacts').values()].filter((r) => r.fields['HubSpot Id'] === id);
const accountRows = (id: string) => [...fakes.airtable.table('Accounts').values()].filter((r) => r.fields['HubSpot Id'] === id);

describe('contact-role-mapping', () => {
  it('when a "VP of Finance" contact arrives, then the sheet offers a role picker with finance preselected, and switching to legal before Approve writes legal everywhere', async () => {
    fakes.hubspot.put('companies', { id: '5101', properties: { name: 'Globex Corp', domain: 'globex.com', industry: 'SOFTWARE' } });
    await contactWebhook('6101', { firstname: 'Jane', lastname: 'Doe', email: 'jane.doe@globex.com', phone: '+1 415 555 0101', jobtitle: 'VP of Finance' }, '5101');

    const sheet = await waitForWorkflowSheet(fakes, 'contact-role-mapping', '6101');
    const text = textOf(sheet);
    expect(text).toContain('Jane Doe');
    expect(text).toContain('Globex Corp');
    expect(text).toContain('Finance · vp (AI, confidence 0.92)');
    expect(text).toContain('sensitive_role');
    expect(text).not.toContain('jane.doe@globex.com');
    expect(text).toContain('j***@globex.com');
    expect(text).not.toContain('555 0101');
    const picker = choiceOf(sheet);
    expect(picker?.type).toBe('static_select');
    expect(picker?.initial_option?.value).toBe('finance');
    expect(picker?.options.map((o) => o.value)).toContain('legal');

    // The admin opens the picker and chooses Legal (Slack sends that as its own action), then approves.
    expect((await pick(app, sheet, 'legal')).status).toBe(200);
    expect((await approveWith(app, sheet, 'legal')).status).toBe(200);
    const run = await finished('6101');
    expect(run.status).toBe('COMPLETED');

    const approval = await db.Approval.findOne({ runId: run._id }).lean();
    expect(approval?.chosen).toBe('legal');
    const [row] = contactRows('6101');
    expect(contactRows('6101')).toHaveLength(1);
    expect(row?.fields).toMatchObject({ Name: 'Jane Doe', Email: 'jane.doe@globex.com', 'Job Title': 'VP of Finance', Role: 'legal', Seniority: 'vp' });
    // The company had no Accounts row: it was created first and the contact links to it.
    const [account] = accountRows('5101');
    expect(account?.fields.Name).toBe('Globex Corp');
    expect(row?.fields.Account).toEqual([account?.id]);
    // The legal checklist: one Notion page, one to-do per item, linked from the row.
    const pages = [...fakes.notion.pages.values()].filter((p) => p.databaseId === checklistDb);
    expect(pages).toHaveLength(1);
    expect(pages[0]?.children?.filter((c) => c.type === 'to_do')).toHaveLength(defaultRoleTables().checklists.legal.length);
    expect(row?.fields.Checklist).toBe(pages[0]?.url);
    expect(fakes.hubspot.get('contacts', '6101')?.properties).toMatchObject({ orch_role: 'legal', orch_seniority: 'vp' });

    const reply = await until(async () => fakes.slack.messages.find((m) => m.thread_ts === sheet.ts), 10_000, 'thread reply');
    expect(reply.text).toContain('Legal · vp (corrected from Finance)');
    expect(reply.text).toContain('https://notion.so/tpl-legal');
    const banner = fakes.slack.message(sheet.channel, sheet.ts);
    expect(textOf(banner as never)).toContain('*Role to write:* Legal');
    const check = await until(async () => conn.collection('agenda_jobs').findOne({ name: 'reconcile:after-write-contact', 'data.contactId': '6101' }), 10_000, 'after-write check');
    expect(new Date(check.nextRunAt as Date).getTime()).toBeGreaterThan(Date.now());
  });

  it('when the corrected contact later changes phone, then the role an admin chose is kept (not re-inferred) and only the phone changes', async () => {
    const current = fakes.hubspot.get('contacts', '6101')?.properties ?? {};
    fakes.hubspot.put('contacts', { id: '6101', properties: { ...current, phone: '+1 415 555 0199' }, associations: { companies: ['5101'] } });
    expect((await app.postHubSpot([propertyChange('contact', '6101', 'phone', '+1 415 555 0199')])).status).toBe(200);
    const second = await until(async () => sheetsOf(fakes, 'contact-role-mapping', '6101')[1], 20_000, 'second sheet');
    expect(textOf(second)).toContain('Legal · vp (kept from the last decision, confidence 1.00)');
    expect(choiceOf(second)?.initial_option?.value).toBe('legal');
    await approveWith(app, second, null);
    await until(async () => (await db.Run.countDocuments({ objectId: '6101', workflowId: 'contact-role-mapping', status: 'COMPLETED' })) === 2 || null, 20_000, 'second run completed');
    expect(contactRows('6101')).toHaveLength(1);
    expect(contactRows('6101')[0]?.fields).toMatchObject({ Role: 'legal', Phone: '+1 415 555 0199' });
    expect([...fakes.notion.pages.values()].filter((p) => p.databaseId === checklistDb)).toHaveLength(1);
  });

  it('when a "Software Engineer" contact arrives, then it is written without a sheet', async () => {
    fakes.hubspot.put('companies', { id: '5102', properties: { name: 'Initech', domain: 'initech.com' } });
    fakes.airtable.add('Accounts', { 'HubSpot Id': '5102', Name: 'Initech', Domain: 'initech.com' });
    await contactWebhook('6102', { firstname: 'Peter', lastname: 'Gibbons', email: 'peter@initech.com', jobtitle: 'Software Engineer' }, '5102');
    const run = await finished('6102');
    expect(run.status).toBe('COMPLETED');
    expect(await db.Approval.countDocuments({ runId: run._id })).toBe(0);
    expect(sheetsOf(fakes, 'contact-role-mapping', '6102')).toHaveLength(0);
    const [row] = contactRows('6102');
    expect(row?.fields).toMatchObject({ Role: 'technical', Seniority: 'individual', Account: [accountRows('5102')[0]?.id] });
    expect(accountRows('5102')).toHaveLength(1);
    expect(fakes.hubspot.get('contacts', '6102')?.properties.orch_role).toBe('technical');
  });

  it('when a contact has no job title, then the role is other with confidence 0 and an admin is asked; Approve alone writes the preselected role', async () => {
    await contactWebhook('6103', { firstname: 'No', lastname: 'Title', email: 'no.title@example.com' });
    const sheet = await waitForWorkflowSheet(fakes, 'contact-role-mapping', '6103');
    expect(textOf(sheet)).toContain('Other · unknown (rules, confidence 0.00)');
    expect(textOf(sheet)).toContain('low_confidence');
    expect(choiceOf(sheet)?.initial_option?.value).toBe('other');
    await approveWith(app, sheet, null);
    expect((await finished('6103')).status).toBe('COMPLETED');
    expect(contactRows('6103')[0]?.fields).toMatchObject({ Role: 'other', Seniority: 'unknown', Account: [] });
  });
});
