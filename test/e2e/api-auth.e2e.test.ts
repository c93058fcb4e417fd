import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import { createHash } from 'node:crypto';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { until } from '../helpers/ingest.ts';
import { orchReply, personalToken } from '../helpers/api-tokens.ts';

const e2e = useAppWithDb('api_auth_e2e', { env: { LOG_LEVEL: 'info' } });
beforeAll(async () => {
  await e2e.db.User.create([
    { slackUserId: 'UOPER1', role: 'operator' },
    { slackUserId: 'UVIEW1', role: 'viewer' },
  ]);
});

const policy = (amount: number) => ({
  name: 'procurement-approval',
  thresholds: { amount },
  rules: [{ id: 'amount_threshold', when: { field: 'amount', op: 'gte', value: amount }, level: 'HIGH', requiresApproval: true }],
});
const user = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: 'TORCH' });

describe('personal API tokens', () => {
  it('when an operator runs /orch token create, then the secret is shown once, only its hash is stored, and list/revoke work; a viewer is refused', async () => {
    const secret = await personalToken(e2e.app, e2e.fakes, 'UOPER1', 'laptop');
    const stored = await e2e.db.ApiToken.findOne({ userId: 'UOPER1', name: 'laptop' }).lean();
    expect(stored?.hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored!.expiresAt.getTime() - stored!.createdAt.getTime()).toBe(90 * 86_400_000);
    expect(await orchReply(e2e.app, e2e.fakes, 'UOPER1', 'token create laptop')).toMatch(/already have a token named `laptop`/);
    const list = await orchReply(e2e.app, e2e.fakes, 'UOPER1', 'token list');
    expect(list).toMatch(/`laptop` \(operator\)/);
    expect(list).not.toContain(secret);
    expect(await orchReply(e2e.app, e2e.fakes, 'UVIEW1', 'token create mine')).toMatch(/needs the \*operator\* or \*admin\* role/);
    expect(await e2e.db.ApiToken.countDocuments({ userId: 'UVIEW1' })).toBe(0);
  });

  it('when a write comes with the shared ORCH_API_TOKEN, then 403 personal_token_required; reads, health and metrics still work', async () => {
    const write = await e2e.app.api('POST', '/api/policies', { ...policy(20000), actor: 'UADMIN1' });
    expect(write).toMatchObject({ status: 403, body: { error: 'personal_token_required' } });
    expect((await e2e.app.api('GET', '/api/policies?name=procurement-approval')).status).toBe(200);
    expect((await fetch(`${e2e.app.url}/health`)).status).toBe(200);
    expect((await fetch(`${e2e.app.url}/metrics`)).status).toBe(200);
    expect(await e2e.db.Policy.countDocuments({ name: 'procurement-approval' })).toBe(1);
  });

  it('when an admin writes with a personal token, then it acts as that admin and the audit entry says via API token <name>', async () => {
    const secret = await personalToken(e2e.app, e2e.fakes, 'UADMIN1', 'ci-bot');
    const res = await e2e.app.api<{ version: number }>('POST', '/api/policies', policy(25000), secret);
    expect(res.status).toBe(201);
    const entry = await e2e.db.AuditEntry.findOne({ action: 'policy.version_added', target: `procurement-approval@${res.body.version}` }).lean();
    expect(entry).toMatchObject({ actor: 'UADMIN1', via: 'API token ci-bot' });
    const same = await e2e.app.api('POST', '/api/policies', { ...policy(26000), actor: 'UADMIN1' }, secret);
    expect(same.status).toBe(201);
  });

  it('when the actor field names someone else (or orch:auto-repair), then 403 actor_mismatch and nothing is done', async () => {
    const secret = await personalToken(e2e.app, e2e.fakes, 'UADMIN1', 'mismatch');
    const versions = await e2e.db.Policy.countDocuments({ name: 'procurement-approval' });
    const other = await e2e.app.api('POST', '/api/policies', { ...policy(30000), actor: 'UOTHERADMIN' }, secret);
    expect(other).toMatchObject({ status: 403, body: { error: 'actor_mismatch' } });
    await e2e.db.Exception.create({ _id: 'exc_sys1', type: 'integration_error', objectType: 'run', objectId: 'run_x', openKey: 'integration_error:run:run_x' });
    const system = await e2e.app.api('POST', '/api/exceptions/exc_sys1/resolve', { action: 'apply', actor: 'orch:auto-repair' }, secret);
    expect(system).toMatchObject({ status: 403, body: { error: 'actor_mismatch' } });
    expect(await e2e.db.Policy.countDocuments({ name: 'procurement-approval' })).toBe(versions);
    expect((await e2e.db.Exception.findById('exc_sys1').lean())?.status).toBe('open');
  });

  it("when an operator's token calls an admin-only write, then 403 with the same role check as Slack, audited via the token", async () => {
    const secret = await personalToken(e2e.app, e2e.fakes, 'UOPER1', 'ops-script');
    const res = await e2e.app.api('POST', '/api/policies', policy(40000), secret);
    expect(res).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const refusal = await e2e.db.AuditEntry.findOne({ actor: 'UOPER1', action: 'policy.add_version', outcome: 'refused' }).lean();
    expect(refusal).toMatchObject({ via: 'API token ops-script', reason: 'needs admin, has operator' });
  });

  it('when a token is revoked or has expired, then requests with it get 401', async () => {
    const revoked = await personalToken(e2e.app, e2e.fakes, 'UADMIN1', 'old');
    expect((await e2e.app.api('GET', '/api/runs', undefined, revoked)).status).toBe(200);
    expect(await orchReply(e2e.app, e2e.fakes, 'UADMIN1', 'token revoke old')).toMatch(/revoked/);
    expect(await e2e.app.api('GET', '/api/runs', undefined, revoked)).toMatchObject({ status: 401, body: { error: 'unauthorized', reason: 'unknown_token' } });

    const expired = await personalToken(e2e.app, e2e.fakes, 'UADMIN1', 'short');
    await e2e.db.ApiToken.updateOne({ userId: 'UADMIN1', name: 'short' }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await e2e.app.api('POST', '/api/policies', policy(50000), expired)).toMatchObject({ status: 401, body: { reason: 'expired_token' } });
    expect(await orchReply(e2e.app, e2e.fakes, 'UADMIN1', 'token list')).toMatch(/`short` \(admin\).*\*expired\*/);
  });
});

describe('every write has a role check', () => {
  it('when a viewer clicks Assign to me on an exception card, then it is refused and audited; an operator can take it', async () => {
    await e2e.db.Exception.create({ _id: 'exc_assign1', type: 'field_drift', objectType: 'company', objectId: '42', openKey: 'field_drift:company:42', title: 'Drift on 42' });
    const clickAssign = (by: string) =>
      e2e.app.slackAction({
        type: 'block_actions',
        user: user(by),
        channel: { id: 'C0ALERTS', name: 'orch-alerts' },
        container: { type: 'message', message_ts: '1.1', channel_id: 'C0ALERTS', is_ephemeral: true },
        actions: [{ type: 'button', action_id: 'exception_assign', block_id: 'exc_actions:exc_assign1', value: 'exc_assign1', action_ts: `${Date.now() / 1000}` }],
      });
    expect((await clickAssign('UVIEW1')).status).toBe(200);
    await until(async () => e2e.db.AuditEntry.findOne({ actor: 'UVIEW1', action: 'exception.assign', outcome: 'refused' }).lean(), 5000, 'refusal');
    await until(async () => e2e.fakes.slack.ephemerals.find((e) => e.user === 'UVIEW1' && /operator or admin/.test(e.text ?? '')), 5000, 'refusal told');
    expect((await e2e.db.Exception.findById('exc_assign1').lean())?.assignee).toBeUndefined();
    await clickAssign('UOPER1');
    await until(async () => ((await e2e.db.Exception.findById('exc_assign1').lean())?.assignee === 'UOPER1' ? true : null), 5000, 'assigned');
  });

  it('when a replay is asked with an operator token, then it runs as that operator; with a viewer actor in no case', async () => {
    const secret = await personalToken(e2e.app, e2e.fakes, 'UOPER1', 'replayer');
    const missing = await e2e.app.api('POST', '/api/events/ev_none/replay', {}, secret);
    expect(missing.status).not.toBe(403);
    const forced = await e2e.app.api('POST', '/api/events/ev_none/replay', { force: true }, secret);
    expect(forced).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await e2e.db.AuditEntry.findOne({ actor: 'UOPER1', action: 'ingest.replay.force', outcome: 'refused', via: 'API token replayer' }).lean()).toBeTruthy();
  });
});

describe('legacy shared-token writes and failed authentications', () => {
  let legacy: AppProcess;
  beforeAll(async () => {
    const { uri } = uniqueMongoUri('api_auth_legacy_e2e');
    legacy = await startAppProcess({ fakes: e2e.fakes, mongoUri: uri, env: { ORCH_API_TOKEN_WRITES: 'legacy', LOG_LEVEL: 'info' } });
  });
  afterAll(async () => {
    await legacy?.stop();
  });

  it('when ORCH_API_TOKEN_WRITES=legacy, then a shared-token write names its actor, logs a deprecation warning, and orch:* actors are refused', async () => {
    const ok = await legacy.api('POST', '/api/policies', { ...policy(20000), actor: 'UADMIN1' });
    expect(ok.status).toBe(201);
    await legacy.waitForLog(/deprecated: a write with the shared ORCH_API_TOKEN/);
    const system = await legacy.api('POST', '/api/exceptions/exc_none/resolve', { action: 'apply', actor: 'orch:auto-repair' });
    expect(system).toMatchObject({ status: 403, body: { error: 'system_actor' } });
    expect((await legacy.api('POST', '/api/policies', policy(20000))).status).toBe(400);
  });

  it('when one address fails authentication 20 times in a minute, then the 21st request gets 429 with Retry-After, counted, and the token is never logged', async () => {
    const wrong = 'orch_pat_not-a-real-token-0123456789';
    for (let i = 0; i < 20; i++) expect((await legacy.api('GET', '/api/runs', undefined, wrong)).status).toBe(401);
    const limited = await legacy.api('GET', '/api/runs', undefined, wrong);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await legacy.api('GET', '/api/runs')).status).toBe(429);
    const metrics = await (await fetch(`${legacy.url}/metrics`)).text();
    expect(metrics).toMatch(/^orch_api_auth_failures_total\{reason="unknown_token"\} 20$/m);
    expect(metrics).toMatch(/^orch_api_auth_rate_limited_total [2-9]/m);
    expect(legacy.logs()).toMatch(/api authentication failed/);
    expect(legacy.logs()).not.toContain(wrong);
  });
});
