import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { createModels, type Models } from '../../src/db/models/index.ts';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { until } from '../helpers/ingest.ts';
import { APPROVALS_CHANNEL, approvalIdOf, blocksOf, click, dealWebhook, submitReject, textOf, waitForSheet } from '../helpers/approvals.ts';
import { orchReply, personalToken } from '../helpers/api-tokens.ts';

let fakes: Fakes;
let app: AppProcess;
let conn: mongoose.Connection;
let db: Models;
const ESCALATIONS = 'orch-escalations';

beforeAll(async () => {
  fakes = await startFakes();
  const { uri } = uniqueMongoUri('approvals_nofm');
  conn = await mongoose.createConnection(uri).asPromise();
  db = createModels(conn);
  await db.User.create([
    { slackUserId: 'UADMIN2', role: 'admin' },
    { slackUserId: 'UOWNER1', role: 'admin' },
  ]);
  fakes.hubspot.addOwner({ id: '77', email: 'owner@acme.example' });
  fakes.slack.addUser({ id: 'UOWNER1', email: 'owner@acme.example' });
  app = await startAppProcess({
    fakes,
    mongoUri: uri,
    env: { ORCH_MODE: 'live', ORCH_RUNS_POLL: '200ms', LOG_LEVEL: 'warn', ORCH_APPROVAL_SWEEP: '1s', ORCH_APPROVAL_ESCALATE: '3s', ORCH_ESCALATION_CHANNEL: ESCALATIONS },
  });
});
afterAll(async () => {
  await app?.stop();
  await conn?.close();
  await fakes?.stop();
});

type Msg = Fakes['slack']['messages'][number];
const current = (m: Msg) => fakes.slack.message(m.channel, m.ts) as Msg;
const runOf = (objectId: string) => until(async () => db.Run.findOne({ objectId }).lean(), 15_000, `run for ${objectId}`);
const approvalOf = async (m: Msg) => (await db.Approval.findById(approvalIdOf(m)).lean()) as unknown as { status: string; votes: { by: string; voter: string; onBehalfOf?: string }[] };
const toldTo = (user: string, re: RegExp, after: number) => until(async () => fakes.slack.ephemerals.slice(after).find((e) => e.user === user && re.test(e.text ?? '')), 10_000, `ephemeral ${re} to ${user}`);

describe('N-of-M approvals in Slack', () => {
  it('when a deal of 150,000 arrives, then two different admins must approve: the first click shows 1 of 2, the same admin twice counts once, the second admin finishes the run', async () => {
    await dealWebhook(app, fakes, '9101', { dealname: 'Big Iron', amount: '150000', dealstage: 'appointmentscheduled' });
    const sheet = await waitForSheet(fakes, 'Big Iron');
    expect(textOf(sheet)).toContain('0 of 2* approvals');
    expect(textOf(sheet)).toMatch(/May still approve: [^"]*<@UADMIN1>/);
    expect(textOf(sheet)).toMatch(/May still approve: [^"]*<@UADMIN2>/);

    let before = fakes.slack.ephemerals.length;
    await click(app, sheet, 'approval_approve', 'UADMIN1');
    await toldTo('UADMIN1', /counted/, before);
    await until(async () => (textOf(current(sheet)).includes('1 of 2* approvals') ? true : null), 10_000, 'progress 1 of 2');
    expect(blocksOf(current(sheet)).some((b) => b.type === 'actions')).toBe(true);
    expect((await runOf('9101')).status).toBe('WAITING_APPROVAL');

    before = fakes.slack.ephemerals.length;
    await click(app, sheet, 'approval_approve', 'UADMIN1');
    await toldTo('UADMIN1', /already counted/, before);
    expect((await approvalOf(sheet)).votes).toHaveLength(1);

    await click(app, sheet, 'approval_approve', 'UADMIN2');
    await until(async () => ((await db.Run.findOne({ objectId: '9101', status: 'COMPLETED' }).lean()) ? true : null), 20_000, 'run completed');
    const done = await approvalOf(sheet);
    expect(done.status).toBe('APPROVED');
    expect(done.votes.map((v) => v.by)).toEqual(['UADMIN1', 'UADMIN2']);
    expect(await db.AuditEntry.countDocuments({ target: approvalIdOf(sheet), action: 'approval.vote' })).toBe(2);
  });

  it('when one admin approved and another rejects with a reason (in Slack), then the rejection ends it; an API vote with a personal token counts as that admin', async () => {
    await dealWebhook(app, fakes, '9104', { dealname: 'Rejected Big Deal', amount: '120000', dealstage: 'appointmentscheduled' });
    const sheet = await waitForSheet(fakes, 'Rejected Big Deal');
    const token = await personalToken(app, fakes, 'UADMIN1', 'nofm');
    const vote = await app.api<{ ok: boolean; pending?: boolean }>('POST', `/api/approvals/${approvalIdOf(sheet)}/decision`, { decision: 'approve' }, token);
    expect(vote).toMatchObject({ status: 200, body: { ok: true, pending: true } });
    expect((await approvalOf(sheet)).votes[0]).toMatchObject({ by: 'UADMIN1' });
    expect(await db.AuditEntry.findOne({ action: 'approval.vote', target: approvalIdOf(sheet), actor: 'UADMIN1' }).lean()).toMatchObject({ via: 'API token nofm' });
    await submitReject(app, { approvalId: approvalIdOf(sheet), channel: sheet.channel, ts: sheet.ts }, 'vendor not vetted', 'UADMIN2');
    await until(async () => ((await db.Run.findOne({ objectId: '9104', status: { $in: ['COMPLETED', 'FAILED', 'CANCELLED'] } }).lean()) ? true : null), 20_000, 'run finished');
    expect(fakes.hubspot.get('deals', '9104')?.properties.orch_procurement_status).toBe('rejected');
    expect(await approvalOf(sheet)).toMatchObject({ status: 'REJECTED' });
    await until(async () => (textOf(current(sheet)).includes('Rejected') ? true : null), 10_000, 'rejected banner');
  });

  it('when an admin delegates, then the delegate approves on their behalf and the sheet says so; /orch delegate off ends it', async () => {
    expect(await orchReply(app, fakes, 'UADMIN2', 'delegate <@UDELEG1|deleg> until 2099-12-24')).toMatch(/until 2099-12-24/);
    await dealWebhook(app, fakes, '9102', { dealname: 'Delegated Deal', amount: '200000', dealstage: 'appointmentscheduled' });
    const sheet = await waitForSheet(fakes, 'Delegated Deal');
    expect(textOf(sheet)).toContain('<@UDELEG1> (for <@UADMIN2>)');
    await click(app, sheet, 'approval_approve', 'UADMIN1');
    await until(async () => ((await approvalOf(sheet)).votes.length === 1 ? true : null), 10_000, 'first vote');
    await click(app, sheet, 'approval_approve', 'UDELEG1');
    await until(async () => ((await approvalOf(sheet)).status === 'APPROVED' ? true : null), 10_000, 'approved');
    expect((await approvalOf(sheet)).votes[1]).toMatchObject({ by: 'UDELEG1', voter: 'UADMIN2', onBehalfOf: 'UADMIN2' });
    await until(async () => (textOf(current(sheet)).includes('<@UDELEG1> on behalf of <@UADMIN2>') ? true : null), 10_000, 'on behalf on the sheet');
    expect(await orchReply(app, fakes, 'UADMIN2', 'delegate off')).toMatch(/ended/);
    expect(await orchReply(app, fakes, 'UVIEWER7', 'delegate <@UADMIN1>')).toMatch(/Only approvers/);
  });

  it("when the deal's owner clicks Approve on their own deal, then it is refused with a message saying why, and audited", async () => {
    await dealWebhook(app, fakes, '9103', { dealname: 'Own Deal', amount: '15000', dealstage: 'appointmentscheduled', hubspot_owner_id: '77' });
    const sheet = await waitForSheet(fakes, 'Own Deal');
    const before = fakes.slack.ephemerals.length;
    await click(app, sheet, 'approval_approve', 'UOWNER1');
    await toldTo('UOWNER1', /You own this record/, before);
    expect((await approvalOf(sheet)).status).toBe('PENDING');
    expect(await db.AuditEntry.findOne({ actor: 'UOWNER1', target: approvalIdOf(sheet), outcome: 'refused' }).lean()).toBeTruthy();
  });

  it('when an approval waits past ORCH_APPROVAL_ESCALATE, then it is escalated once to ORCH_ESCALATION_CHANNEL with the sheet linked, and audited', async () => {
    const sheet = await waitForSheet(fakes, 'Own Deal');
    const id = approvalIdOf(sheet);
    const posts = () => fakes.slack.messagesIn(ESCALATIONS).filter((m) => (m.text ?? '').includes(id));
    await until(async () => (posts().length === 1 ? true : null), 20_000, 'escalation posted');
    expect(posts()[0]?.text).toContain(`https://slack.com/archives/${sheet.channel}/p${sheet.ts.replace('.', '')}`);
    // Two more escalation sweeps (the job's lastRunAt moves past the post): still one post, one audit entry.
    const postedAt = Date.now();
    const lastRun = async () => ((await conn.db!.collection('agenda_jobs').findOne({ name: 'approvals:escalate' }))?.lastRunAt as Date | undefined)?.getTime() ?? 0;
    await until(async () => ((await lastRun()) > postedAt + 1500 ? true : null), 15_000, 'two more sweeps');
    expect(posts()).toHaveLength(1);
    expect(await db.AuditEntry.countDocuments({ action: 'approval.escalate', target: id })).toBe(1);
    expect(fakes.slack.messagesIn(APPROVALS_CHANNEL).length).toBeGreaterThan(0);
  });

  it('when an admin manages a group, then /orch group add, list and remove answer with its members', async () => {
    expect(await orchReply(app, fakes, 'UADMIN1', 'group add finance <@UFIN1>')).toMatch(/group:finance.*<@UFIN1>/);
    expect(await orchReply(app, fakes, 'UADMIN1', 'group list')).toMatch(/`group:finance`: <@UFIN1>/);
    expect(await orchReply(app, fakes, 'UADMIN1', 'group remove finance <@UFIN1>')).toMatch(/\(empty\)/);
    expect(await orchReply(app, fakes, 'UOPER9', 'group add finance <@UOPER9>')).toMatch(/is for \*admins\*/);
  });

  it('when a policy version asks finance first and then an admin (levels), then an admin cannot approve before finance, and finance then an admin complete the run', async () => {
    expect(await orchReply(app, fakes, 'UADMIN1', 'group add finance <@UFIN2>')).toMatch(/<@UFIN2>/);
    const token = await personalToken(app, fakes, 'UADMIN1', 'levels');
    const inForce = (await app.api<{ items: { version: number; rules: unknown[]; thresholds: unknown }[] }>('GET', '/api/policies?name=procurement-approval')).body.items[0];
    // First in the rule list: it ties with large_deal (2 votes), and a tie goes to the first rule.
    const rules = [{ id: 'huge_deal', when: { field: 'amount', op: 'gte', value: 500000 }, level: 'HIGH', requiresApproval: true, levels: [{ required: 1, from: 'group:finance' }, { required: 1, from: 'admins' }] }, ...(inForce?.rules ?? [])];
    expect((await app.api('POST', '/api/policies', { name: 'procurement-approval', thresholds: inForce?.thresholds ?? {}, rules }, token)).status).toBe(201);

    await dealWebhook(app, fakes, '9105', { dealname: 'Huge Deal', amount: '600000', dealstage: 'appointmentscheduled' });
    const sheet = await waitForSheet(fakes, 'Huge Deal');
    expect(textOf(sheet)).toMatch(/Level 1 \(group:finance\)/);
    expect(textOf(sheet)).toMatch(/May still approve at level 1: <@UFIN2>/);
    let before = fakes.slack.ephemerals.length;
    await click(app, sheet, 'approval_approve', 'UADMIN1');
    await toldTo('UADMIN1', /Only group:finance can decide level 1/, before);
    expect((await approvalOf(sheet)).votes).toHaveLength(0);

    before = fakes.slack.ephemerals.length;
    await click(app, sheet, 'approval_approve', 'UFIN2');
    await toldTo('UFIN2', /counted/, before);
    await until(async () => (textOf(current(sheet)).includes('May still approve at level 2') ? true : null), 10_000, 'level 2 asked');
    await click(app, sheet, 'approval_approve', 'UADMIN2');
    await until(async () => ((await db.Run.findOne({ objectId: '9105', status: 'COMPLETED' }).lean()) ? true : null), 20_000, 'run completed');
    expect((await approvalOf(sheet)).votes.map((v) => v.by)).toEqual(['UFIN2', 'UADMIN2']);
  });
});
