import { beforeAll, describe, expect, it } from 'vitest';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import type { Fakes } from '../fakes/index.ts';
import { until } from '../helpers/ingest.ts';
import { approvalIdOf, click, companyWebhook, dealWebhook, decidedBannerOf, textOf, waitForSheet } from '../helpers/approvals.ts';

const e2e = useAppWithDb('appmodes', { env: { ORCH_MODE: 'dry-run', ORCH_RUNS_POLL: '200ms', ORCH_APPROVAL_SWEEP: '1s', LOG_LEVEL: 'warn' } });
beforeAll(async () => {
  e2e.fakes.notion.addPage({ title: 'SOP: Software onboarding', url: 'https://notion.so/sop-software' });
});

const run = (objectId: string) => e2e.db.Run.findOne({ objectId }).lean();
const writesTo = (f: Fakes['airtable'] | Fakes['hubspot']) => f.calls.filter((c) => ['POST', 'PATCH', 'PUT', 'DELETE'].includes(c.method) && !c.path.includes('/batch/read'));

describe('dry-run mode', () => {
  it('when a company and a deal are approved in dry-run, then the intended writes are shown and none is performed', async () => {
    await companyWebhook(e2e.app, e2e.fakes, '6601', { name: 'Dry Software Co', domain: 'dry.example', industry: 'SOFTWARE', numberofemployees: '2500' });
    const sheet = await waitForSheet(e2e.fakes, 'Dry Software Co');
    expect(textOf(sheet)).toContain('Dry-run mode');
    expect(textOf(sheet)).toContain('Intended writes');
    await click(e2e.app, sheet, 'approval_approve');
    await until(async () => (await run('6601'))?.status === 'COMPLETED', 20_000, 'company run COMPLETED');
    const reply = await until(async () => e2e.fakes.slack.messages.find((m) => m.thread_ts === sheet.ts), 10_000, 'thread reply');
    expect(reply.text).toContain('Dry-run');
    expect(reply.text).toContain('not written (dry-run)');
    expect(reply.text).toContain('notion.so/sop-software');

    await dealWebhook(e2e.app, e2e.fakes, '6602', { dealname: 'Dry Deal', amount: '50000' });
    const dealSheet = await waitForSheet(e2e.fakes, 'Dry Deal');
    await click(e2e.app, dealSheet, 'approval_approve');
    await until(async () => (await run('6602'))?.status === 'COMPLETED', 20_000, 'deal run COMPLETED');

    expect(writesTo(e2e.fakes.airtable)).toEqual([]);
    expect(writesTo(e2e.fakes.hubspot)).toEqual([]);
    expect(e2e.fakes.hubspot.get('deals', '6602')?.properties.orch_procurement_status).toBeUndefined();
    const result = (await run('6602'))?.result as { writes: { performed: boolean }[] };
    expect(result.writes.length).toBe(2);
    expect(result.writes.every((w) => w.performed === false)).toBe(true);
  });
});

describe('approval lifecycle jobs', () => {
  it('when an approval has waited longer than the TTL, then the expiry job marks it EXPIRED, cancels the run and updates the message', async () => {
    await dealWebhook(e2e.app, e2e.fakes, '6603', { dealname: 'Forgotten Deal', amount: '20000' });
    const sheet = await waitForSheet(e2e.fakes, 'Forgotten Deal');
    await until(async () => (await run('6603'))?.status === 'WAITING_APPROVAL', 10_000, 'WAITING_APPROVAL');
    await e2e.db.Approval.updateOne({ _id: approvalIdOf(sheet) }, { $set: { requestedAt: new Date(Date.now() - 73 * 3600_000) } });
    await until(async () => (await e2e.db.Approval.findById(approvalIdOf(sheet)).lean())?.status === 'EXPIRED', 15_000, 'EXPIRED');
    await until(async () => (await run('6603'))?.status === 'CANCELLED', 10_000, 'run CANCELLED');
    expect(await until(async () => decidedBannerOf(e2e.fakes, sheet), 10_000, 'banner')).toContain('Expired');
    // A click after expiry is refused with who/what decided it.
    await click(e2e.app, sheet, 'approval_approve');
    const note = await until(async () => e2e.fakes.slack.ephemerals.find((e) => /Already expired/.test(e.text ?? '')), 10_000, 'expired ephemeral');
    expect(note.user).toBe('UADMIN1');
  });

  it('when an approval has waited longer than the reminder delay, then the admins get one DM', async () => {
    await dealWebhook(e2e.app, e2e.fakes, '6604', { dealname: 'Slow Deal', amount: '30000' });
    const sheet = await waitForSheet(e2e.fakes, 'Slow Deal');
    await until(async () => e2e.db.Approval.exists({ _id: approvalIdOf(sheet) }), 5000, 'approval stored');
    await e2e.db.Approval.updateOne({ _id: approvalIdOf(sheet) }, { $set: { requestedAt: new Date(Date.now() - 5 * 3600_000) } });
    const dm = await until(async () => e2e.fakes.slack.messages.find((m) => (m.text ?? '').includes(approvalIdOf(sheet)) && (m.text ?? '').includes('has waited')), 15_000, 'reminder DM');
    expect(dm.channel).toMatch(/^D/);
    await until(async () => e2e.db.Approval.exists({ _id: approvalIdOf(sheet), remindedAt: { $exists: true } }), 5000, 'reminder recorded on the approval');
    expect(e2e.fakes.slack.messages.filter((m) => (m.text ?? '').includes(approvalIdOf(sheet)) && (m.text ?? '').includes('has waited'))).toHaveLength(1);
  });
});

describe('runtime mode switch', () => {
  it('when the mode setting is switched to live while the app runs, then the next run performs its writes', async () => {
    // What `/orch mode live` stores after confirmation; ORCH_MODE=dry-run stays in the environment.
    await e2e.db.Setting.updateOne({ _id: 'mode' }, { $set: { value: 'live', updatedBy: 'UADMIN1' } }, { upsert: true });
    await new Promise((r) => setTimeout(r, 1100)); // the mode cache lives 1 s
    await dealWebhook(e2e.app, e2e.fakes, '6690', { dealname: 'Live Deal', amount: '40000' });
    const sheet = await waitForSheet(e2e.fakes, 'Live Deal');
    expect(textOf(sheet)).not.toContain('Dry-run mode');
    await click(e2e.app, sheet, 'approval_approve');
    await until(async () => (await run('6690'))?.status === 'COMPLETED', 20_000, 'live deal run COMPLETED');
    expect((await run('6690'))?.mode).toBe('live');
    expect(e2e.fakes.hubspot.get('deals', '6690')?.properties.orch_procurement_status).toBe('approved');
  });
});
