import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIntegrations, type Integrations } from '../../src/integrations/index.ts';
import { alert, configureAlerts, flushAlerts } from '../../src/services/alerts.ts';
import { decideApproval } from '../../src/services/approvals.ts';
import { storeBatches } from '../../src/ingest/store.ts';
import { claimRun, candidateById } from '../../workflows/run-claims.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { creation } from '../helpers/ingest.ts';
import { surfacesContext } from '../helpers/surfaces-ctx.ts';

/**
 * The storage guarantees orch's invariants rest on, through the product's own code paths, on the
 * test bed's server (or MONGODB_URI): one winner per decision and per run claim, exact counters,
 * and exactly-once events by their unique key.
 */
describe('storage contract', () => {
  let fakes: Fakes;
  let t: Awaited<ReturnType<typeof surfacesContext>>;
  let integrations: Integrations;
  beforeAll(async () => {
    fakes = await startFakes();
    t = await surfacesContext('contract', fakes.slack, { ORCH_ADMINS: 'UADMIN1', ORCH_ALERT_DEDUP: '1h' });
    for (const id of ['UADMIN1', 'UADMIN2']) await t.ctx.models.User.create({ slackUserId: id, role: 'admin' });
    configureAlerts(t.ctx, { updateDelayMs: 20 });
    integrations = createIntegrations(t.ctx.config, t.ctx.logger, t.ctx.metrics, null);
  });
  afterAll(async () => {
    await integrations?.stop();
    await t?.close();
    await fakes?.stop();
  });

  const decideCtx = () => ({ ...t.ctx, integrations });

  it('when two admins decide one approval at the same moment, then exactly one decision is stored and the other is told who won', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const id = `apr_contract_${trial}`;
      await t.ctx.models.Run.create({ _id: `run_c_${trial}`, workflowId: 'procurement-approval', objectType: 'deal', objectId: String(trial), correlationKey: `deal:${trial}:1:procurement-approval`, status: 'WAITING_APPROVAL' });
      await t.ctx.models.Approval.create({ _id: id, runId: `run_c_${trial}`, step: 'approve', workflowId: 'procurement-approval', objectType: 'deal', objectId: String(trial) });
      const [a, b] = await Promise.all([
        decideApproval(decideCtx(), { approvalId: id, decision: 'approve', actor: 'UADMIN1' }),
        decideApproval(decideCtx(), { approvalId: id, decision: 'reject', actor: 'UADMIN2', reason: 'too expensive' }),
      ]);
      const results = [a, b];
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const winner = results.find((r) => r.ok);
      const loser = results.find((r) => !r.ok);
      const stored = await t.ctx.models.Approval.findById(id).lean();
      expect(stored?.decidedBy).toBe(winner?.ok ? winner.approval.decidedBy : undefined);
      expect(loser).toMatchObject({ ok: false, reason: 'already_decided', decidedBy: stored?.decidedBy });
      // The decision reached the run in the same breath: it is resumable, with the winner's decision.
      const run = await t.ctx.models.Run.findById(`run_c_${trial}`).lean();
      expect((run?.pendingResume as { actor?: string } | undefined)?.actor).toBe(stored?.decidedBy);
    }
  });

  it('when two engines claim one PENDING run at the same moment, then exactly one gets it', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const runId = `run_claim_${trial}`;
      await t.ctx.models.Run.create({ _id: runId, workflowId: 'company-intake', objectType: 'company', objectId: String(trial), correlationKey: `company:${trial}:1:company-intake`, mode: 'dry-run' });
      const cand = await candidateById(t.ctx, runId);
      if (!cand) throw new Error('run not found');
      const claims = await Promise.all(['wrk_a', 'wrk_b', 'wrk_c'].map((owner) => claimRun(t.ctx, owner, 60_000, cand)));
      const won = claims.filter((c) => c && c !== 'contended');
      expect(won).toHaveLength(1);
      const run = await t.ctx.models.Run.findById(runId).lean();
      expect(run).toMatchObject({ status: 'RUNNING', attempts: 1, owner: (won[0] as { owner?: string }).owner });
    }
  });

  it('when 200 repeats of one alert arrive concurrently, then the stored count is exactly 200 and each admin gets one DM that says so', async () => {
    fakes.slack.reset();
    const input = { key: 'run_failed:contract:burst', kind: 'run_failed' as const, severity: 'high' as const, text: 'contract burst' };
    const results = await Promise.all(Array.from({ length: 200 }, () => alert(t.ctx, input)));
    expect(results.filter((r) => r.outcome === 'sent')).toHaveLength(1);
    expect((await t.ctx.models.Alert.findById(input.key).lean())?.count).toBe(200);
    await flushAlerts(t.ctx);
    const dms = fakes.slack.messages.filter((m) => m.channel.startsWith('D') && (m.text ?? '').includes('contract burst'));
    expect(dms.map((m) => m.channel).sort()).toEqual(['DUADMIN1', 'DUADMIN2']);
    for (const dm of dms) expect(dm.text).toContain('×200');
  });

  it('when the same webhook event is delivered in two concurrent batches, then it is stored once and the second counts it as a duplicate', async () => {
    const event = creation('company', 424242, { eventId: 9001, occurredAt: 1_700_000_000_000 });
    const body = Buffer.from(JSON.stringify([event]));
    const [r1, r2] = await Promise.all([1, 2].map((n) => storeBatches(t.ctx.models, [{ body, items: [event], signatureVersion: 'v3', receivedAt: Date.now() + n }])));
    const results = [r1?.[0], r2?.[0]];
    expect(results.map((r) => r?.accepted).sort()).toEqual([0, 1]);
    expect(results.map((r) => r?.duplicates).sort()).toEqual([0, 1]);
    expect(await t.ctx.models.WebhookEvent.countDocuments({ objectId: '424242' })).toBe(1);
  });
});
