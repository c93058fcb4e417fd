import { describe, expect, it } from 'vitest';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import { propertyChange, until } from '../helpers/ingest.ts';
import { APPROVALS_CHANNEL, approvalIdOf, blocksOf, click, dealWebhook, textOf, waitForSheet } from '../helpers/approvals.ts';

/** Issue 14 defects 1 (decisions apply only to what the approver saw) and 7 (one message per approval). */
const e2e = useAppWithDb('aprstale', { env: { ORCH_MODE: 'live', ORCH_RUNS_POLL: '200ms', LOG_LEVEL: 'warn' } });

const sheetsFor = (name: string) => e2e.fakes.slack.messagesIn(APPROVALS_CHANNEL).filter((m) => !m.thread_ts && textOf(m).includes(name));
const runsOf = (objectId: string) => e2e.db.Run.find({ objectId }).sort({ createdAt: 1 }).lean();
const procurement = (dealId: string) => [...e2e.fakes.airtable.table('Procurement').values()].filter((r) => r.fields['Deal Id'] === dealId);
const statusWrites = (dealId: string) => e2e.fakes.hubspot.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith(`/deals/${dealId}`));

describe('one message per approval', () => {
  it("when Slack carries out the sheet's chat.postMessage but its 200 is lost, then the retry finds that message and the approval still has exactly one sheet", async () => {
    e2e.fakes.slack.loseAnswers('chat.postMessage', 1);
    await dealWebhook(e2e.app, e2e.fakes, '7701', { dealname: 'Lost Answer Deal', amount: '25000', dealstage: 'qualifiedtobuy', hs_lastmodifieddate: '2026-11-01T10:00:00.000Z' });
    const approval = await until(async () => e2e.db.Approval.findOne({ objectId: '7701', 'slack.ts': { $exists: true } }).lean(), 20_000, 'the approval with its sheet');
    await until(async () => (await e2e.db.Run.findOne({ objectId: '7701' }).lean())?.status === 'WAITING_APPROVAL', 10_000, 'WAITING_APPROVAL');
    const sheets = sheetsFor('Lost Answer Deal');
    expect(sheets).toHaveLength(1);
    expect(sheets[0]?.ts).toBe(approval.slack?.ts);
    expect(sheets[0]?.metadata).toMatchObject({ event_type: 'orch_approval_sheet', event_payload: { approval_id: approval._id } });
    expect(e2e.fakes.slack.calls.filter((c) => c.path === '/api/conversations.history').length).toBeGreaterThanOrEqual(1);
  });
});

describe('a newer change supersedes the older sheet', () => {
  it('when deal 77 at 15,000 gets sheet A and its amount changes to 500,000 (sheet B), then A says superseded with a link to B, its run is CANCELLED superseded, and approving A writes nothing', async () => {
    await dealWebhook(e2e.app, e2e.fakes, '7702', { dealname: 'Deal Seventy Seven', amount: '15000', dealstage: 'qualifiedtobuy', hs_lastmodifieddate: '2026-11-01T10:00:00.000Z' });
    const sheetA = await waitForSheet(e2e.fakes, 'Deal Seventy Seven');
    expect(textOf(sheetA)).toContain('$15,000');
    e2e.fakes.hubspot.put('deals', { id: '7702', properties: { dealname: 'Deal Seventy Seven', amount: '500000', dealstage: 'qualifiedtobuy', hs_lastmodifieddate: '2026-11-01T11:00:00.000Z' } });
    expect((await e2e.app.postHubSpot([propertyChange('deal', '7702', 'amount', '500000')])).status).toBe(200);
    const sheetB = await until(async () => sheetsFor('Deal Seventy Seven').find((m) => m.ts !== sheetA.ts), 20_000, 'sheet B');
    expect(textOf(sheetB)).toContain('$500,000');

    const redrawn = await until(async () => {
      const m = e2e.fakes.slack.message(sheetA.channel, sheetA.ts);
      return m && textOf(m).includes('Superseded by a newer change') ? m : null;
    }, 10_000, 'sheet A redrawn as superseded');
    expect(blocksOf(redrawn).some((b) => b.type === 'actions')).toBe(false);
    expect(textOf(redrawn)).toContain(`p${sheetB.ts.replace('.', '')}`);
    const [runA] = await runsOf('7702');
    expect(runA).toMatchObject({ status: 'CANCELLED', error: 'superseded' });
    expect(await e2e.db.Approval.findById(approvalIdOf(sheetA)).lean()).toMatchObject({ status: 'SUPERSEDED', supersededBy: { approvalId: approvalIdOf(sheetB) } });

    // A stale client still shows A's buttons: the click is told, and nothing is written.
    expect((await click(e2e.app, sheetA, 'approval_approve')).status).toBe(200);
    const told = await until(async () => e2e.fakes.slack.ephemerals.find((e) => e.user === 'UADMIN1' && (e.text ?? '').includes('Superseded')), 10_000, 'the click told');
    expect(told.text).toContain('newer sheet');
    expect(procurement('7702')).toHaveLength(0);
    expect(statusWrites('7702')).toHaveLength(0);

    expect(await e2e.db.Approval.findById(approvalIdOf(sheetB)).lean()).toMatchObject({ status: 'PENDING' });
  });

  it('when the amount changes without a new sheet and the old sheet is approved, then nothing is written, the thread says why, and a fresh sheet asks again with the new amount', async () => {
    await dealWebhook(e2e.app, e2e.fakes, '7703', { dealname: 'Quiet Change Deal', amount: '15000', dealstage: 'qualifiedtobuy', hs_lastmodifieddate: '2026-11-02T10:00:00.000Z' });
    const sheetA = await waitForSheet(e2e.fakes, 'Quiet Change Deal');
    await until(async () => (await e2e.db.Run.findOne({ objectId: '7703' }).lean())?.status === 'WAITING_APPROVAL', 10_000, 'WAITING_APPROVAL');
    // The change reaches HubSpot but no webhook (yet): only the re-read on resume can notice it.
    e2e.fakes.hubspot.put('deals', { id: '7703', properties: { dealname: 'Quiet Change Deal', amount: '500000', dealstage: 'qualifiedtobuy', hs_lastmodifieddate: '2026-11-02T11:00:00.000Z' } });
    await click(e2e.app, sheetA, 'approval_approve');

    const reply = await until(async () => e2e.fakes.slack.messages.find((m) => m.thread_ts === sheetA.ts && (m.text ?? '').includes('Nothing was written')), 20_000, 'thread reply');
    expect(reply.text).toContain('amount: 15000 → 500000');
    const fresh = await until(async () => sheetsFor('Quiet Change Deal').find((m) => m.ts !== sheetA.ts), 20_000, 'the fresh sheet');
    expect(textOf(fresh)).toContain('$500,000');
    expect(textOf(fresh)).toContain('Asked again');
    await until(async () => (await runsOf('7703'))[1]?.status === 'WAITING_APPROVAL', 10_000, 'the new run waiting');
    const [runA, runB] = await runsOf('7703');
    expect(runA?.status).toBe('CANCELLED');
    expect(runA?.error).toContain('changed after approval');
    expect(runB?.trigger).toMatchObject({ reason: expect.stringContaining('asked again') });
    expect(procurement('7703')).toHaveLength(0);
    expect(statusWrites('7703')).toHaveLength(0);
  });
});
