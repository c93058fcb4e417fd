import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { createModels, type Models } from '../../src/db/models/index.ts';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { until } from '../helpers/ingest.ts';
import { approvalIdOf, click, companyWebhook, dealWebhook, decidedBannerOf, textOf, waitForSheet } from '../helpers/approvals.ts';

let fakes: Fakes;
let app: AppProcess;
let conn: mongoose.Connection;
let db: Models;

beforeAll(async () => {
  fakes = await startFakes();
  const { uri } = uniqueMongoUri('appmodes');
  app = await startAppProcess({ fakes, mongoUri: uri, env: { ORCH_MODE: 'dry-run', ORCH_RUNS_POLL: '200ms', ORCH_APPROVAL_SWEEP: '1s', LOG_LEVEL: 'warn' } });
  conn = await mongoose.createConnection(uri).asPromise();
  db = createModels(conn);
  fakes.notion.addPage({ title: 'SOP: Software onboarding', url: 'https://notion.so/sop-software' });
});

afterAll(async () => {
  if (process.env.E2E_LOGS) (await import('node:fs')).writeFileSync(process.env.E2E_LOGS, app?.logs() ?? '');
  await app?.stop();
  await conn?.close();
  await fakes?.stop();
});

const run = (objectId: string) => db.Run.findOne({ objectId }).lean();
const writesTo = (f: Fakes['airtable'] | Fakes['hubspot']) => f.calls.filter((c) => ['POST', 'PATCH', 'PUT', 'DELETE'].includes(c.method) && !c.path.includes('/batch/read'));

describe('dry-run mode', () => {
  it('when a company and a deal are approved in dry-run, then the intended writes are shown and none is performed', async () => {
    await companyWebhook(app, fakes, '6601', { name: 'Dry Software Co', domain: 'dry.example', industry: 'SOFTWARE', numberofemployees: '2500' });
    const sheet = await waitForSheet(fakes, 'Dry Software Co');
    expect(textOf(sheet)).toContain('Dry-run mode');
    expect(textOf(sheet)).toContain('Intended writes');
    await click(app, sheet, 'approval_approve');
    await until(async () => (await run('6601'))?.status === 'COMPLETED', 20_000, 'company run COMPLETED');
    const reply = await until(async () => fakes.slack.messages.find((m) => m.thread_ts === sheet.ts), 10_000, 'thread reply');
    expect(reply.text).toContain('Dry-run');
    expect(reply.text).toContain('not written (dry-run)');
    expect(reply.text).toContain('notion.so/sop-software');

    await dealWebhook(app, fakes, '6602', { dealname: 'Dry Deal', amount: '50000' });
    const dealSheet = await waitForSheet(fakes, 'Dry Deal');
    await click(app, dealSheet, 'approval_approve');
    await until(async () => (await run('6602'))?.status === 'COMPLETED', 20_000, 'deal run COMPLETED');

    expect(writesTo(fakes.airtable)).toEqual([]);
    expect(writesTo(fakes.hubspot)).toEqual([]);
    expect(fakes.hubspot.get('deals', '6602')?.properties.orch_procurement_status).toBeUndefined();
    const result = (await run('6602'))?.result as { writes: { performed: boolean }[] };
    expect(result.writes.length).toBe(2);
    expect(result.writes.every((w) => w.performed === false)).toBe(true);
  });
});

describe('approval lifecycle jobs', () => {
  it('when an approval has waited longer than the TTL, then the expiry job marks it EXPIRED, cancels the run and updates the message', async () => {
    await dealWebhook(app, fakes, '6603', { dealname: 'Forgotten Deal', amount: '20000' });
    const sheet = await waitForSheet(fakes, 'Forgotten Deal');
    await until(async () => (await run('6603'))?.status === 'WAITING_APPROVAL', 10_000, 'WAITING_APPROVAL');
    await db.Approval.updateOne({ _id: approvalIdOf(sheet) }, { $set: { requestedAt: new Date(Date.now() - 73 * 3600_000) } });
    await until(async () => (await db.Approval.findById(approvalIdOf(sheet)).lean())?.status === 'EXPIRED', 15_000, 'EXPIRED');
    await until(async () => (await run('6603'))?.status === 'CANCELLED', 10_000, 'run CANCELLED');
    expect(await until(async () => decidedBannerOf(fakes, sheet), 10_000, 'banner')).toContain('Expired');
    // A click after expiry is refused with who/what decided it.
    await click(app, sheet, 'approval_approve');
    const note = await until(async () => fakes.slack.ephemerals.find((e) => /Already expired/.test(e.text ?? '')), 10_000, 'expired ephemeral');
    expect(note.user).toBe('UADMIN1');
  });

  it('when an approval has waited longer than the reminder delay, then the admins get one DM', async () => {
    await dealWebhook(app, fakes, '6604', { dealname: 'Slow Deal', amount: '30000' });
    const sheet = await waitForSheet(fakes, 'Slow Deal');
    await until(async () => db.Approval.exists({ _id: approvalIdOf(sheet) }), 5000, 'approval stored');
    await db.Approval.updateOne({ _id: approvalIdOf(sheet) }, { $set: { requestedAt: new Date(Date.now() - 5 * 3600_000) } });
    const dm = await until(async () => fakes.slack.messages.find((m) => (m.text ?? '').includes(approvalIdOf(sheet)) && (m.text ?? '').includes('has waited')), 15_000, 'reminder DM');
    expect(dm.channel).toMatch(/^D/);
    await until(async () => db.Approval.exists({ _id: approvalIdOf(sheet), remindedAt: { $exists: true } }), 5000, 'reminder recorded on the approval');
    expect(fakes.slack.messages.filter((m) => (m.text ?? '').includes(approvalIdOf(sheet)) && (m.text ?? '').includes('has waited'))).toHaveLength(1);
  });
});

describe('runtime mode switch', () => {
  it('when the mode setting is switched to live while the app runs, then the next run performs its writes', async () => {
    // What `/orch mode live` stores after confirmation; ORCH_MODE=dry-run stays in the environment.
    await db.Setting.updateOne({ _id: 'mode' }, { $set: { value: 'live', updatedBy: 'UADMIN1' } }, { upsert: true });
    await new Promise((r) => setTimeout(r, 1100)); // the mode cache lives 1 s
    await dealWebhook(app, fakes, '6690', { dealname: 'Live Deal', amount: '40000' });
    const sheet = await waitForSheet(fakes, 'Live Deal');
    expect(textOf(sheet)).not.toContain('Dry-run mode');
    await click(app, sheet, 'approval_approve');
    await until(async () => (await run('6690'))?.status === 'COMPLETED', 20_000, 'live deal run COMPLETED');
    expect((await run('6690'))?.mode).toBe('live');
    expect(fakes.hubspot.get('deals', '6690')?.properties.orch_procurement_status).toBe('approved');
  });
});
