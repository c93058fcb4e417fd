import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { createModels, type Models } from '../../src/db/models/index.ts';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { until } from '../helpers/ingest.ts';
import { click, companyWebhook, decidedBannerOf, waitForSheet } from '../helpers/approvals.ts';

let fakes: Fakes;
let app: AppProcess;
let conn: mongoose.Connection;
let db: Models;

beforeAll(async () => {
  fakes = await startFakes();
  const { uri } = uniqueMongoUri('apprestart');
  // A short lease, so a run whose worker was SIGKILLed is retaken quickly after the restart.
  app = await startAppProcess({ fakes, mongoUri: uri, env: { ORCH_MODE: 'live', ORCH_RUNS_POLL: '200ms', ORCH_RUN_LEASE: '2s', ORCH_INGEST_LEASE_MS: '2000', LOG_LEVEL: 'warn' } });
  conn = await mongoose.createConnection(uri).asPromise();
  db = createModels(conn);
});

afterAll(async () => {
  if (process.env.E2E_LOGS) (await import('node:fs')).writeFileSync(process.env.E2E_LOGS, app?.logs() ?? '');
  await app?.stop();
  await conn?.close();
  await fakes?.stop();
});

const statusOf = async (objectId: string) => (await db.Run.findOne({ objectId }).lean())?.status;
const mirrorRecords = (id: string) => [...fakes.airtable.table('Accounts').values()].filter((r) => r.fields['HubSpot Id'] === id);

describe('approvals survive restarts', () => {
  it('when the process is SIGKILLed while a run waits for approval, then after a restart Approve completes the run', async () => {
    await companyWebhook(app, fakes, '8801', { name: 'Phoenix Holdings', domain: 'phoenix.example', numberofemployees: '3000' });
    const sheet = await waitForSheet(fakes, 'Phoenix Holdings');
    await until(async () => (await statusOf('8801')) === 'WAITING_APPROVAL', 10_000, 'WAITING_APPROVAL');
    expect(await app.kill()).toBe(137);
    await app.restart();
    expect((await click(app, sheet, 'approval_approve')).status).toBe(200);
    await until(async () => (await statusOf('8801')) === 'COMPLETED', 20_000, 'COMPLETED after restart');
    expect(mirrorRecords('8801')).toHaveLength(1);
    expect(await until(async () => decidedBannerOf(fakes, sheet), 10_000, 'banner')).toContain('Approved');
  });

  it('when the process is SIGKILLed right after the mirror write was sent, then after a restart the run completes with still one mirror record', async () => {
    await companyWebhook(app, fakes, '8802', { name: 'Crashy Widgets', domain: 'crashy.example', annualrevenue: '90000000' });
    const sheet = await waitForSheet(fakes, 'Crashy Widgets');
    await until(async () => (await statusOf('8802')) === 'WAITING_APPROVAL', 10_000, 'WAITING_APPROVAL');
    // The fake holds the upsert for a moment, then applies it: the app dies before it sees the answer
    // (so before LangGraph checkpoints the step), yet the write lands, as with a real network.
    fakes.airtable.inject({ match: /PATCH .*Accounts/, delayMs: 1500, times: 1 });
    await click(app, sheet, 'approval_approve');
    await fakes.airtable.waitFor((c) => c.method === 'PATCH' && c.path.includes('Accounts') && JSON.stringify(c.body).includes('"8802"'), 15_000);
    await app.kill();
    await until(async () => mirrorRecords('8802').length === 1, 5000, 'the in-flight write to land');
    await app.restart();
    await until(async () => (await statusOf('8802')) === 'COMPLETED', 30_000, 'COMPLETED after restart');
    expect(mirrorRecords('8802')).toHaveLength(1);
    const run = await db.Run.findOne({ objectId: '8802' }).lean();
    // The write step ran again after the restart (its first attempt never finished) and was an update.
    expect(run?.steps.filter((s) => s.name === 'write_mirror').length).toBeGreaterThanOrEqual(2);
    expect(fakes.airtable.calls.filter((c) => c.method === 'PATCH' && c.path.includes('Accounts') && JSON.stringify(c.body).includes('"8802"')).length).toBeGreaterThanOrEqual(2);
  });
});
