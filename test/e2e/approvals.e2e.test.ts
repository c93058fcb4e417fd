import { beforeAll, describe, expect, it } from 'vitest';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import { until } from '../helpers/ingest.ts';
import { approvalIdOf, click, companyWebhook, dealWebhook, decidedBannerOf, submitReject, textOf, waitForSheet } from '../helpers/approvals.ts';

// A 30 s ingest poll: webhook → sheet must not wait for it (the receiver wakes the local poller).
// Shared-token writes naming their actor (legacy, issue 13); personal tokens: api-auth.e2e.test.ts.
const e2e = useAppWithDb('approvals', { env: { ORCH_MODE: 'live', ORCH_RUNS_POLL: '200ms', ORCH_INGEST_POLL_MS: '30000', LOG_LEVEL: 'warn', ORCH_API_TOKEN_WRITES: 'legacy' } });
beforeAll(async () => {
  e2e.fakes.notion.addPage({ title: 'SOP: Banking onboarding', url: 'https://notion.so/sop-banking' });
});

const runOf = (objectId: string) => until(async () => e2e.db.Run.findOne({ objectId }).lean(), 15_000, `run for ${objectId}`);
const finished = (objectId: string) =>
  until(async () => e2e.db.Run.findOne({ objectId, status: { $in: ['COMPLETED', 'FAILED', 'CANCELLED'] } }).lean(), 20_000, `finished run for ${objectId}`);
const accounts = () => [...e2e.fakes.airtable.table('Accounts').values()];

describe('company intake with approval', () => {
  it('when a big regulated company arrives, then a sheet with diff, flags and policy is posted, and Approve writes the mirror once and updates the message', async () => {
    e2e.fakes.airtable.add('Accounts', { 'HubSpot Id': '9101', Name: 'Acme Bank', Domain: 'old-acme.com', Owner: '7' });
    await companyWebhook(e2e.app, e2e.fakes, '9101', {
      name: 'Acme Bank',
      domain: 'https://www.acme-bank.com/',
      industry: 'BANKING',
      numberofemployees: '5000',
      annualrevenue: '25000000',
      lifecyclestage: 'customer',
      hubspot_owner_id: '8',
    });
    const sheet = await waitForSheet(e2e.fakes, 'Acme Bank');
    const text = textOf(sheet);
    expect(text).toContain('Domain');
    expect(text).toContain('old-acme.com');
    expect(text).toContain('acme-bank.com');
    expect(text).toMatch(/regulated_industry|Regulated industry/);
    expect(text).toContain('HIGH');
    expect(text).toMatch(/Policy \*company-intake\* v1/);
    await until(async () => (await runOf('9101')).status === 'WAITING_APPROVAL', 10_000, 'WAITING_APPROVAL');

    const ack = await click(e2e.app, sheet, 'approval_approve');
    expect(ack.status).toBe(200);
    const banner = await until(async () => decidedBannerOf(e2e.fakes, sheet), 10_000, 'decided banner');
    expect(banner).toContain('Approved');
    expect(banner).toContain('<@UADMIN1>');

    const run = await finished('9101');
    expect(run.status).toBe('COMPLETED');
    const mirror = accounts().filter((r) => r.fields['HubSpot Id'] === '9101');
    expect(mirror).toHaveLength(1);
    expect(mirror[0]?.fields.Domain).toBe('acme-bank.com');
    expect(mirror[0]?.fields.SOP).toBe('https://notion.so/sop-banking');
    const reply = await until(async () => e2e.fakes.slack.messages.find((m) => m.thread_ts === sheet.ts), 10_000, 'thread reply');
    expect(reply.text).toContain('Written');
    expect(reply.text).toContain('notion.so/sop-banking');
    const audit = await e2e.db.AuditEntry.find({ action: 'approval.approve', target: approvalIdOf(sheet) }).lean();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ policy: { name: 'company-intake', version: 1 } });
    // The mirror write schedules an after-write reconciliation of just this company.
    const check = await until(async () => e2e.conn.collection('agenda_jobs').findOne({ name: 'reconcile:after-write', 'data.hubspotId': '9101' }), 10_000, 'after-write check');
    expect(new Date(check.nextRunAt as Date).getTime()).toBeGreaterThan(Date.now());
  });

  it('when two admins click Approve at the same time, then exactly one decision is recorded and the other is told who won', async () => {
    await companyWebhook(e2e.app, e2e.fakes, '9102', { name: 'Twin Clicks Inc', domain: 'twin.io', numberofemployees: '2000', industry: 'SOFTWARE' });
    const sheet = await waitForSheet(e2e.fakes, 'Twin Clicks Inc');
    await e2e.db.User.updateOne({ slackUserId: 'UADMIN2' }, { $set: { slackUserId: 'UADMIN2', role: 'admin' } }, { upsert: true });
    const [a, b] = await Promise.all([click(e2e.app, sheet, 'approval_approve', 'UADMIN1'), click(e2e.app, sheet, 'approval_approve', 'UADMIN2')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const loserNote = await until(async () => e2e.fakes.slack.ephemerals.find((e) => /Already decided by <@UADMIN[12]>/.test(e.text ?? '')), 10_000, 'already decided ephemeral');
    const approval = await e2e.db.Approval.findById(approvalIdOf(sheet)).lean();
    expect(approval?.status).toBe('APPROVED');
    expect(loserNote.user).not.toBe(approval?.decidedBy);
    // The winner audits after its ack, so the loser's note can arrive first: wait for the run to end.
    await finished('9102');
    const audited = () => e2e.db.AuditEntry.countDocuments({ action: 'approval.approve', target: approvalIdOf(sheet), outcome: 'done' });
    await until(async () => (await audited()) > 0, 10_000, 'decision audited');
    expect(await audited()).toBe(1);
    expect(accounts().filter((r) => r.fields['HubSpot Id'] === '9102')).toHaveLength(1);
  });

  it('when a non-admin clicks Approve, then they get an ephemeral refusal, the refusal is audited and nothing is decided', async () => {
    await companyWebhook(e2e.app, e2e.fakes, '9103', { name: 'Nosy Corp', domain: 'nosy.com', annualrevenue: '50000000' });
    const sheet = await waitForSheet(e2e.fakes, 'Nosy Corp');
    expect((await click(e2e.app, sheet, 'approval_approve', 'UVIEWER9')).status).toBe(200);
    const note = await until(async () => e2e.fakes.slack.ephemerals.find((e) => e.user === 'UVIEWER9'), 10_000, 'refusal');
    expect(note.text).toContain('Only orch admins');
    const refused = await until(async () => e2e.db.AuditEntry.findOne({ actor: 'UVIEWER9', outcome: 'refused', target: approvalIdOf(sheet) }).lean(), 5000, 'audit');
    expect(refused.action).toBe('approval.approve');
    expect((await e2e.db.Approval.findById(approvalIdOf(sheet)).lean())?.status).toBe('PENDING');
  });

  it('when OpenAI answers invalid JSON, then the deterministic fallback is used and the run still reaches the sheet', async () => {
    e2e.fakes.openai.respondWith('this is { not json');
    await companyWebhook(e2e.app, e2e.fakes, '9104', { name: 'Garbled AI Ltd', domain: 'garbled.ai', numberofemployees: '4000' });
    const sheet = await waitForSheet(e2e.fakes, 'Garbled AI Ltd');
    expect(textOf(sheet)).toContain('fallback');
    expect(e2e.fakes.openai.requests.length).toBeGreaterThan(0);
    await click(e2e.app, sheet, 'approval_approve');
    const run = await finished('9104');
    expect(run.status).toBe('COMPLETED');
    expect((run.result as { enrichment?: { source?: string } }).enrichment?.source).toBe('fallback');
    e2e.fakes.openai.respondWith({ industry: 'Software', riskLevel: 'LOW', summary: 'ok' });
  });
});

describe('procurement approval', () => {
  it('when a deal above the threshold is approved, then the Procurement record and the HubSpot status are written once', async () => {
    await dealWebhook(e2e.app, e2e.fakes, '7001', { dealname: 'Big Laptops Order', amount: '25000', dealstage: 'qualifiedtobuy' });
    const sheet = await waitForSheet(e2e.fakes, 'Big Laptops Order');
    expect(textOf(sheet)).toContain('amount_threshold');
    await click(e2e.app, sheet, 'approval_approve');
    expect((await finished('7001')).status).toBe('COMPLETED');
    const records = [...e2e.fakes.airtable.table('Procurement').values()].filter((r) => r.fields['Deal Id'] === '7001');
    expect(records).toHaveLength(1);
    expect(e2e.fakes.hubspot.get('deals', '7001')?.properties.orch_procurement_status).toBe('approved');
    expect(e2e.fakes.hubspot.callsTo(/PATCH \/crm\/v3\/objects\/deals\/7001|\/crm\/v3\/objects\/deals\/7001/).filter((c) => c.method === 'PATCH')).toHaveLength(1);
  });

  it('when the reject modal is submitted with an empty reason, then the modal shows an error and nothing is decided', async () => {
    await dealWebhook(e2e.app, e2e.fakes, '7002', { dealname: 'Empty Reason Deal', amount: '12000' });
    const sheet = await waitForSheet(e2e.fakes, 'Empty Reason Deal');
    const res = await submitReject(e2e.app, { approvalId: approvalIdOf(sheet), channel: sheet.channel, ts: sheet.ts }, '   ');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ response_action: 'errors', errors: { reject_reason_block: expect.stringContaining('reason') } });
    await until(async () => (await e2e.db.Approval.findById(approvalIdOf(sheet)).lean())?.status === 'PENDING', 5000, 'approval stored and still PENDING');
    expect(await e2e.db.AuditEntry.countDocuments({ target: approvalIdOf(sheet), action: 'approval.reject' })).toBe(0);
  });

  it('when Reject opens the modal and it is submitted with a reason, then the reason is stored, the deal is marked rejected and nothing is created', async () => {
    await dealWebhook(e2e.app, e2e.fakes, '7003', { dealname: 'Gold Plated Chairs', amount: '90000' });
    const sheet = await waitForSheet(e2e.fakes, 'Gold Plated Chairs');
    await click(e2e.app, sheet, 'approval_reject');
    const modal = await until(async () => e2e.fakes.slack.openedViews.find((v) => JSON.stringify(v.view).includes(approvalIdOf(sheet))), 10_000, 'reject modal');
    expect(modal.view.callback_id).toBe('approval_reject_modal');
    const meta = JSON.parse(String(modal.view.private_metadata));
    expect((await submitReject(e2e.app, meta, 'Too expensive for Q3')).status).toBe(200);
    const run = await finished('7003');
    expect(run.status).toBe('COMPLETED');
    const approval = await e2e.db.Approval.findById(approvalIdOf(sheet)).lean();
    expect(approval).toMatchObject({ status: 'REJECTED', reason: 'Too expensive for Q3', decidedBy: 'UADMIN1' });
    expect(e2e.fakes.hubspot.get('deals', '7003')?.properties.orch_procurement_status).toBe('rejected');
    expect([...e2e.fakes.airtable.table('Procurement').values()].filter((r) => r.fields['Deal Id'] === '7003')).toHaveLength(0);
    const banner = await until(async () => decidedBannerOf(e2e.fakes, sheet), 10_000, 'banner');
    expect(banner).toContain('Rejected');
    expect(banner).toContain('Too expensive for Q3');
  });
});

describe('runs and approvals API', () => {
  it('when listing and deciding through the API, then runs, steps and approvals are returned and the same atomic rule applies', async () => {
    await dealWebhook(e2e.app, e2e.fakes, '7004', { dealname: 'API Decided Deal', amount: '15000' });
    const sheet = await waitForSheet(e2e.fakes, 'API Decided Deal');
    const pending = await until(async () => {
      const res = await e2e.app.api('GET', '/api/approvals?status=pending');
      return (res.body as { items: { id: string }[] }).items.some((i) => i.id === approvalIdOf(sheet)) ? res : null;
    }, 10_000, 'approval in the pending list');
    expect(pending.status).toBe(200);
    const refused = await e2e.app.api('POST', `/api/approvals/${approvalIdOf(sheet)}/decision`, { decision: 'approve', actor: 'UNOBODY' });
    expect(refused.status).toBe(403);
    const ok = await e2e.app.api('POST', `/api/approvals/${approvalIdOf(sheet)}/decision`, { decision: 'approve', actor: 'UADMIN1' });
    expect(ok.status).toBe(200);
    const again = await e2e.app.api('POST', `/api/approvals/${approvalIdOf(sheet)}/decision`, { decision: 'reject', actor: 'UADMIN1', reason: 'late' });
    expect(again).toMatchObject({ status: 409, body: { error: 'already_decided' } });
    const run = await finished('7004');
    const list = await e2e.app.api('GET', `/api/runs?workflow=procurement-approval&objectId=7004&limit=5`);
    expect(list.body).toMatchObject({ items: [{ id: run._id, workflowId: 'procurement-approval', status: 'COMPLETED', objectId: '7004' }] });
    const detail = await e2e.app.api('GET', `/api/runs/${run._id}`);
    const body = detail.body as { steps: { name: string; status: string }[]; approvals: { id: string }[]; events: unknown[] };
    expect(body.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['fetch', 'check_policy', 'approval', 'write_procurement', 'set_approved']));
    expect(body.approvals[0]?.id).toBe(approvalIdOf(sheet));
    expect(body.events.length).toBeGreaterThan(0);
  });
});
