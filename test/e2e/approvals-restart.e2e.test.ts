import { describe, expect, it } from 'vitest';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import { until } from '../helpers/ingest.ts';
import { click, companyWebhook, decidedBannerOf, waitForSheet } from '../helpers/approvals.ts';

// A short lease, so a run whose worker was SIGKILLed is retaken quickly after the restart.
const e2e = useAppWithDb('apprestart', { env: { ORCH_MODE: 'live', ORCH_RUNS_POLL: '200ms', ORCH_RUN_LEASE: '2s', ORCH_INGEST_LEASE_MS: '2000', LOG_LEVEL: 'warn' } });

const statusOf = async (objectId: string) => (await e2e.db.Run.findOne({ objectId }).lean())?.status;
const mirrorRecords = (id: string) => [...e2e.fakes.airtable.table('Accounts').values()].filter((r) => r.fields['HubSpot Id'] === id);

describe('approvals survive restarts', () => {
  it('when the process is SIGKILLed while a run waits for approval, then after a restart Approve completes the run', async () => {
    await companyWebhook(e2e.app, e2e.fakes, '8801', { name: 'Phoenix Holdings', domain: 'phoenix.example', numberofemployees: '3000' });
    const sheet = await waitForSheet(e2e.fakes, 'Phoenix Holdings');
    await until(async () => (await statusOf('8801')) === 'WAITING_APPROVAL', 10_000, 'WAITING_APPROVAL');
    expect(await e2e.app.kill()).toBe(137);
    await e2e.app.restart();
    expect((await click(e2e.app, sheet, 'approval_approve')).status).toBe(200);
    await until(async () => (await statusOf('8801')) === 'COMPLETED', 20_000, 'COMPLETED after restart');
    expect(mirrorRecords('8801')).toHaveLength(1);
    expect(await until(async () => decidedBannerOf(e2e.fakes, sheet), 10_000, 'banner')).toContain('Approved');
  });

  it('when the process is SIGKILLed right after the mirror write was sent, then after a restart the run completes with still one mirror record', async () => {
    await companyWebhook(e2e.app, e2e.fakes, '8802', { name: 'Crashy Widgets', domain: 'crashy.example', annualrevenue: '90000000' });
    const sheet = await waitForSheet(e2e.fakes, 'Crashy Widgets');
    await until(async () => (await statusOf('8802')) === 'WAITING_APPROVAL', 10_000, 'WAITING_APPROVAL');
    // The fake holds the upsert for a moment, then applies it: the app dies before it sees the answer
    // (so before LangGraph checkpoints the step), yet the write lands, as with a real network.
    e2e.fakes.airtable.inject({ match: /PATCH .*Accounts/, delayMs: 1500, times: 1 });
    await click(e2e.app, sheet, 'approval_approve');
    await e2e.fakes.airtable.waitFor((c) => c.method === 'PATCH' && c.path.includes('Accounts') && JSON.stringify(c.body).includes('"8802"'), 15_000);
    await e2e.app.kill();
    await until(async () => mirrorRecords('8802').length === 1, 5000, 'the in-flight write to land');
    await e2e.app.restart();
    await until(async () => (await statusOf('8802')) === 'COMPLETED', 30_000, 'COMPLETED after restart');
    expect(mirrorRecords('8802')).toHaveLength(1);
    const run = await e2e.db.Run.findOne({ objectId: '8802' }).lean();
    // The write step ran again after the restart (its first attempt never finished) and was an update.
    expect(run?.steps.filter((s) => s.name === 'write_mirror').length).toBeGreaterThanOrEqual(2);
    expect(e2e.fakes.airtable.calls.filter((c) => c.method === 'PATCH' && c.path.includes('Accounts') && JSON.stringify(c.body).includes('"8802"')).length).toBeGreaterThanOrEqual(2);
  });
});
