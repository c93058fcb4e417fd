import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { createModels, type Models } from '../../src/db/models/index.ts';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { until } from '../helpers/ingest.ts';

let fakes: Fakes;
let app: AppProcess;
let conn: mongoose.Connection;
let db: Models;
const now = Date.now();
const MIN = 60_000;

type Reply = { text: string; blocks?: { type: string; block_id?: string; elements?: { action_id?: string; value?: string }[] }[] };

/** Seeds a small, known week of operations straight into MongoDB. */
async function seed(): Promise<void> {
  const runs = Array.from({ length: 25 }, (_, i) => ({
    _id: `run_p${String(i + 1).padStart(2, '0')}`,
    workflowId: 'company-intake',
    status: 'COMPLETED',
    objectType: 'company',
    objectId: String(100 + i),
    correlationKey: `company:${100 + i}:1:company-intake`,
    startedAt: new Date(now - (i + 2) * 20_000),
    finishedAt: new Date(now - (i + 2) * 20_000 + 5_000),
    attempts: 1,
    steps: [{ name: 'fetch', status: 'completed', durationMs: 120 }],
  }));
  await db.Run.insertMany([
    ...runs,
    { _id: 'run_f1', workflowId: 'procurement-approval', status: 'FAILED', objectType: 'deal', objectId: '77', correlationKey: 'deal:77:1:procurement-approval', startedAt: new Date(now - 10_000), finishedAt: new Date(now - 9_000), attempts: 3, error: 'HubSpot 500 on batch read', errorClass: 'transient' },
    { _id: 'run_w1', workflowId: 'procurement-approval', status: 'WAITING_APPROVAL', objectType: 'deal', objectId: '78', correlationKey: 'deal:78:1:procurement-approval', startedAt: new Date(now - 15_000), attempts: 1 },
  ]);
  await db.Approval.insertMany([
    { _id: 'apr_pending1', runId: 'run_w1', step: 'approve', workflowId: 'procurement-approval', objectType: 'deal', objectId: '78', title: 'Deal 78: $250k over limit', status: 'PENDING', requestedAt: new Date(now - 15_000), expiresAt: new Date(now + 86_400_000) },
    { _id: 'apr_done1', runId: 'run_p01', step: 'approve', workflowId: 'company-intake', objectType: 'company', objectId: '100', status: 'APPROVED', requestedAt: new Date(now - 10 * MIN), decidedAt: new Date(now - 5 * MIN), decidedBy: 'UADMIN1', decision: 'approve' },
  ]);
  await db.Exception.create({ _id: 'exc_1', type: 'field_drift', severity: 'high', objectType: 'company', objectId: '101', openKey: 'field_drift:company:101', title: 'Domain differs from the mirror', firstSeenAt: new Date(now - 5_000), lastSeenAt: new Date(now - 5_000) });
  await db.User.insertMany([
    { slackUserId: 'UOPER1', role: 'operator' },
    { slackUserId: 'UVIEW1', role: 'viewer' },
  ]);
}

beforeAll(async () => {
  fakes = await startFakes();
  const { uri } = uniqueMongoUri('surfaces');
  conn = await mongoose.createConnection(uri).asPromise();
  db = createModels(conn);
  // Seeded before the start: the app warms its dashboard snapshot at start.
  await seed();
  app = await startAppProcess({ fakes, mongoUri: uri, env: { LOG_LEVEL: 'warn', ORCH_ALERTS_CHANNEL: 'orch-alerts' } });
});

afterAll(async () => {
  await app?.stop();
  await conn?.close();
  await fakes?.stop();
});

async function ask(text: string, user = 'UADMIN1'): Promise<Reply> {
  const before = fakes.slack.responses.length;
  const res = await app.slashCommand({ text, user_id: user });
  expect(res.status).toBe(200);
  const r = await until(async () => fakes.slack.responses[before], 10_000, `reply to /orch ${text}`);
  return r.body as Reply;
}

async function clickButton(actionId: string, value: string, user = 'UADMIN1'): Promise<Reply> {
  const before = fakes.slack.responses.length;
  const res = await app.slackAction({ user: { id: user, username: user.toLowerCase() }, actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: `${Date.now() / 1000}` }] });
  expect(res.status).toBe(200);
  return (await until(async () => fakes.slack.responses[before], 10_000, `answer to ${actionId}`)).body as Reply;
}

const all = (r: Reply) => JSON.stringify(r);
const actionIds = (r: Reply | { blocks?: unknown[] }) => (JSON.stringify(r.blocks ?? []).match(/"action_id":"[a-z_]+"/g) ?? []).map((s) => s.slice(13, -1));
const runIdsIn = (r: Reply) => [...all(r).matchAll(/`(run_[a-z0-9]+)`/g)].map((m) => m[1]);
const refusal = async (user: string, action: string) => until(async () => db.AuditEntry.findOne({ actor: user, action, outcome: 'refused' }).lean(), 5_000, `audited refusal of ${action}`);

describe('App Home', () => {
  it('when an admin opens the Home tab, then KPIs for the seeded week, the pending approval with buttons, exceptions, failures and health are published', async () => {
    await app.slackEvent({ type: 'app_home_opened', user: 'UADMIN1', channel: 'DUADMIN1', tab: 'home' });
    const view = (await until(async () => fakes.slack.views.get('UADMIN1'), 10_000, 'home view')).view as Reply & { type: string };
    const text = all(view);
    expect(view.type).toBe('home');
    expect(text).toContain('Last 7 days: 27 runs');
    expect(text).toContain('completed 25 · failed 1 · waiting approval 1');
    expect(text).toContain('96.2%'); // first-pass yield 25 / 26 finished
    expect(text).toContain('3.7%'); // exception rate 1 / 27
    expect(text).toContain('p50 5 min · p95 5 min');
    expect(text).toContain('100%'); // SLA 15 min, all 25 completed within 5 s
    expect(text).toMatch(/Volume, 7 days:\* `[▁-█]{6}█`/);
    expect(text).toContain('Pending approvals (1)');
    expect(text).toContain('Deal 78: $250k over limit');
    expect(text).toContain('Domain differs from the mirror');
    expect(text).toContain('run_f1');
    expect(text).toMatch(/mongodb: \*ok\*/);
    expect(text).toMatch(/airtable: \*(ok|degraded)\*/);
    expect(actionIds(view)).toEqual(expect.arrayContaining(['approval_approve', 'approval_reject', 'alert_retry_run']));
  });

  it('when a viewer opens the Home tab, then they see the same numbers without any action button', async () => {
    await app.slackEvent({ type: 'app_home_opened', user: 'UVIEW1', channel: 'DUVIEW1', tab: 'home' });
    const view = (await until(async () => fakes.slack.views.get('UVIEW1'), 10_000, 'viewer home')).view as Reply;
    expect(all(view)).toContain('Last 7 days: 27 runs');
    expect(all(view)).toContain('you are *viewer*');
    expect(actionIds(view)).toEqual([]);
  });
});

describe('/orch read commands', () => {
  it('when help is asked, then every subcommand is listed; a typo gets the closest match', async () => {
    const help = await ask('help', 'UVIEW1');
    // Usage placeholders are escaped like any text (a raw <runId> would be Slack markup).
    for (const c of ['runs', 'run &lt;runId&gt;', 'approvals', 'exceptions', 'status', 'replay', 'retry', 'cancel', 'role', 'mode']) expect(all(help)).toContain(`/orch ${c}`);
    const typo = await ask('rnus', 'UVIEW1');
    expect(typo.text).toContain('Did you mean `/orch runs`?');
  });

  it('when runs are listed, then the newest come first, 10 a page, and More walks every page without overlap', async () => {
    const first = await ask('runs', 'UVIEW1');
    const page1 = runIdsIn(first);
    expect(page1).toEqual(['run_f1', 'run_w1', 'run_p01', 'run_p02', 'run_p03', 'run_p04', 'run_p05', 'run_p06', 'run_p07', 'run_p08']);
    const more = (r: Reply) => r.blocks?.flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'runs_more')?.value;
    const second = await clickButton('runs_more', more(first) as string, 'UVIEW1');
    expect(runIdsIn(second)).toEqual(['run_p09', 'run_p10', 'run_p11', 'run_p12', 'run_p13', 'run_p14', 'run_p15', 'run_p16', 'run_p17', 'run_p18']);
    expect(second.text).toContain('(page 2)');
    const third = await clickButton('runs_more', more(second) as string, 'UVIEW1');
    expect(runIdsIn(third)).toEqual(['run_p19', 'run_p20', 'run_p21', 'run_p22', 'run_p23', 'run_p24', 'run_p25']);
    expect(more(third)).toBeUndefined();
  });

  it('when runs are filtered by status, workflow and --since, then only matching runs are shown; a bad duration gets the usage', async () => {
    const failed = await ask('runs failed procurement-approval --since 24h');
    expect(runIdsIn(failed)).toEqual(['run_f1']);
    expect(failed.text).toContain('status FAILED, workflow procurement-approval, since 24h');
    const bad = await ask('runs --since yesterday');
    expect(bad.text).toMatch(/^Usage: `\/orch runs \[status\] \[workflow\] \[--since 24h\]`/);
    expect(bad.blocks).toBeUndefined();
  });

  it('when one run is asked for, then its steps, timings and error are shown; without an id, the usage', async () => {
    const detail = await ask('run run_f1', 'UVIEW1');
    expect(all(detail)).toContain('HubSpot 500 on batch read');
    expect(all(detail)).toContain('procurement-approval');
    expect(all(detail)).toContain('*Attempts:* 3');
    const steps = await ask('run run_p02', 'UVIEW1');
    expect(all(steps)).toContain('fetch · 120 ms');
    expect((await ask('run', 'UVIEW1')).text).toMatch(/^Usage: `\/orch run &lt;runId&gt;`/);
    expect((await ask('run run_nope', 'UVIEW1')).text).toContain('No run `run_nope`');
  });

  it("when a DM alert's View run and View exception buttons are clicked, then the details are answered to the clicker", async () => {
    const run = await clickButton('alert_view_run', 'run_f1', 'UVIEW1');
    expect(all(run)).toContain('HubSpot 500 on batch read');
    const exc = await clickButton('alert_view_exception', 'exc_1', 'UVIEW1');
    expect(exc.text).toContain('Exception `exc_1` (field_drift, open): Domain differs from the mirror');
  });

  it('when approvals are listed, then admins get the sheet buttons and viewers none; extra words get the usage', async () => {
    const admin = await ask('approvals');
    expect(all(admin)).toContain('Deal 78: $250k over limit');
    expect(actionIds(admin)).toEqual(['approval_approve', 'approval_reject', 'approval_details']);
    const approve = admin.blocks?.flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'approval_approve');
    expect(approve?.value).toBe('apr_pending1');
    const viewer = await ask('approvals', 'UVIEW1');
    expect(actionIds(viewer)).toEqual(['approval_details']);
    expect((await ask('approvals now')).text).toMatch(/^Usage: `\/orch approvals`/);
  });

  it('when exceptions are listed, then the open ones show; extra words get the usage', async () => {
    const list = await ask('exceptions', 'UVIEW1');
    expect(all(list)).toContain('Open exceptions: 1');
    expect(all(list)).toContain('exc_1');
    expect((await ask('exceptions all', 'UVIEW1')).text).toMatch(/^Usage: `\/orch exceptions`/);
  });

  it('when status is asked, then each dependency, the mode, the version and queue depths are shown', async () => {
    const s = await ask('status', 'UVIEW1');
    const text = all(s);
    for (const dep of ['mongodb', 'slack', 'hubspot', 'airtable', 'notion', 'openai', 'neo4j']) expect(text).toContain(`${dep}: *`);
    expect(text).toContain('dry-run');
    expect(text).toContain('version `0.1.0`');
    expect(text).toContain('Pending approvals: *1*');
    expect(text).toContain('Open exceptions: *1*');
    expect((await ask('status please', 'UVIEW1')).text).toMatch(/^Usage: `\/orch status`/);
  });
});

describe('/orch admin commands and roles', () => {
  it('when a viewer retries, then it is refused politely and audited; an operator may retry a failed run', async () => {
    expect((await ask('retry run_f1', 'UVIEW1')).text).toContain('needs the *operator* or *admin* role');
    await refusal('UVIEW1', 'slack.orch.retry');
    expect((await ask('retry', 'UOPER1')).text).toMatch(/^Usage: `\/orch retry &lt;runId&gt;`/);
    const ok = await ask('retry run_f1', 'UOPER1');
    expect(ok.text).toContain('Run `run_f1` is queued again');
    expect(await db.AuditEntry.findOne({ actor: 'UOPER1', action: 'run.retry', target: 'run_f1' }).lean()).toBeTruthy();
    expect((await ask('retry run_p02', 'UOPER1')).text).toContain('only FAILED runs can be retried');
  });

  it('when a viewer clicks Retry on a DM alert, then it is refused and audited', async () => {
    expect((await clickButton('alert_retry_run', 'run_f1', 'UVIEW1')).text).toContain('Retrying needs the operator or admin role');
    await refusal('UVIEW1', 'slack.run.retry');
  });

  it('when an operator cancels, then it is refused and audited; an admin cancels a waiting run', async () => {
    expect((await ask('cancel run_w1', 'UOPER1')).text).toContain('is for *admins*');
    await refusal('UOPER1', 'slack.orch.cancel');
    expect((await ask('cancel a b')).text).toMatch(/^Usage: `\/orch cancel &lt;runId&gt;`/);
    expect((await ask('cancel run_w1')).text).toContain('Run `run_w1` is cancelled');
    expect((await db.Run.findById('run_w1').lean())?.status).toBe('CANCELLED');
  });

  it('when a viewer replays, then it is refused; an operator replaying an unknown event is told why; --force is admin-only', async () => {
    expect((await ask('replay evt_missing', 'UVIEW1')).text).toContain('needs the *operator* or *admin* role');
    await refusal('UVIEW1', 'slack.orch.replay');
    expect((await ask('replay', 'UOPER1')).text).toMatch(/^Usage: `\/orch replay &lt;eventId\|runId&gt; \[--force\]`/);
    expect((await ask('replay evt_missing', 'UOPER1')).text).toContain('Cannot replay `evt_missing`: No stored events');
    expect((await ask('replay evt_missing --force', 'UOPER1')).text).toContain('Only admins can force a replay');
    await refusal('UOPER1', 'slack.orch.replay.force');
  });

  it('when roles are set, then operators are refused and audited; an admin promotes a mentioned user', async () => {
    expect((await ask('role <@UNEW1|newbie> operator', 'UOPER1')).text).toContain('is for *admins*');
    await refusal('UOPER1', 'slack.orch.role');
    expect((await ask('role newbie operator')).text).toMatch(/^Usage: `\/orch role @user admin\|operator\|viewer`/);
    expect((await ask('role <@UNEW1|newbie> superuser')).text).toMatch(/^Usage:/);
    expect((await ask('role <@UNEW1|newbie> operator')).text).toContain('<@UNEW1> is now *operator*');
    expect((await db.User.findOne({ slackUserId: 'UNEW1' }).lean())?.role).toBe('operator');
    expect((await ask('role <@UADMIN1> viewer')).text).toContain('last admin');
  });

  it('when an admin switches to live, then a confirmation is asked, and confirming stores it and announces it; others are refused', async () => {
    expect((await ask('mode live', 'UOPER1')).text).toContain('is for *admins*');
    await refusal('UOPER1', 'slack.orch.mode');
    expect((await ask('mode turbo')).text).toMatch(/^Usage: `\/orch mode \[dry-run\|live\]`/);
    const confirm = await ask('mode live');
    expect(actionIds(confirm)).toEqual(['mode_confirm_live', 'mode_cancel']);
    expect((await db.Setting.findById('mode').lean())?.value ?? 'dry-run').toBe('dry-run');
    const done = await clickButton('mode_confirm_live', 'live');
    expect(done.text).toContain('Mode is now *live*');
    expect((await db.Setting.findById('mode').lean())?.value).toBe('live');
    const announced = await until(async () => fakes.slack.messagesIn('orch-alerts').find((m) => /switched orch to \*live\*/.test(m.text ?? '')), 5_000, 'announcement');
    expect(announced.text).toContain('<@UADMIN1>');
    expect((await ask('status', 'UVIEW1')).text).toContain('live');
    // Both users opened their Home earlier: the change re-publishes it (debounced) without them reopening it.
    for (const user of ['UADMIN1', 'UVIEW1']) {
      await until(async () => JSON.stringify(fakes.slack.views.get(user)?.view).includes('*live* — external writes are performed'), 10_000, `${user}'s Home re-published in live mode`);
    }
    expect((await ask('mode dry-run')).text).toContain('Mode is now *dry-run*');
  });
});
