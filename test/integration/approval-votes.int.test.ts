import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIntegrations, type Integrations } from '../../src/integrations/index.ts';
import { decideApproval } from '../../src/services/approvals.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { surfacesContext } from '../helpers/surfaces-ctx.ts';
import type { ApprovalLevel } from '../../workflows/approval-requirement.ts';
import neo4j from 'neo4j-driver';
import { neo4jUri } from '../helpers/db.ts';

/**
 * N-of-M approvals through the product's decision path on the test bed's server: votes are one
 * conditional update each, so concurrent approvers count once each and exactly `required` decide.
 */
describe('N-of-M approval votes (storage contract)', () => {
  let fakes: Fakes;
  let t: Awaited<ReturnType<typeof surfacesContext>>;
  let integrations: Integrations;
  const ADMINS = ['UADM1', 'UADM2', 'UADM3', 'UADM4', 'UADM5'];
  beforeAll(async () => {
    fakes = await startFakes();
    t = await surfacesContext('votes', fakes.slack);
    for (const id of ADMINS) await t.ctx.models.User.create({ slackUserId: id, role: 'admin' });
    await t.ctx.models.User.create({ slackUserId: 'UFIN1', role: 'viewer' });
    await t.ctx.models.ApproverGroup.create({ name: 'finance', members: ['UFIN1', 'UFIN2'] });
    integrations = createIntegrations(t.ctx.config, t.ctx.logger, t.ctx.metrics, null);
  });
  afterAll(async () => {
    await integrations?.stop();
    await t?.close();
    await fakes?.stop();
  });

  const ctx = () => ({ ...t.ctx, integrations });
  let seq = 0;
  async function approval(levels: ApprovalLevel[], extra: Record<string, unknown> = {}): Promise<string> {
    seq += 1;
    const runId = `run_v_${seq}`;
    await t.ctx.models.Run.create({ _id: runId, workflowId: 'procurement-approval', objectType: 'deal', objectId: String(seq), correlationKey: `deal:${seq}:1:procurement-approval`, status: 'WAITING_APPROVAL' });
    const id = `apr_votes_${seq}`;
    await t.ctx.models.Approval.create({
      _id: id, runId, step: 'approval', workflowId: 'procurement-approval', objectType: 'deal', objectId: String(seq),
      policy: { name: 'procurement-approval', version: 3, matched: ['large_deal'] }, requirement: { ruleId: 'large_deal', levels }, level: 0, levelVotes: 0, votes: [], ...extra,
    });
    return id;
  }
  const stored = async (id: string) => (await t.ctx.models.Approval.findById(id).lean()) as unknown as { status: string; votes: { by: string; voter: string; onBehalfOf?: string; policy: unknown; at: Date }[]; decidedBy?: string };
  const resumed = async (id: string) => (await t.ctx.models.Run.findOne({ _id: (await t.ctx.models.Approval.findById(id).lean())?.runId }).lean())?.pendingResume as { decision?: string } | undefined;

  it('when 5 approvers click Approve at once on a 2-of-5 rule, then exactly 2 votes are recorded and decide it, and the other 3 are told it is already decided', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const id = await approval([{ required: 2, from: ADMINS }]);
      const results = await Promise.all(ADMINS.map((actor) => decideApproval(ctx(), { approvalId: id, decision: 'approve', actor })));
      const doc = await stored(id);
      expect(doc.status).toBe('APPROVED');
      expect(doc.votes).toHaveLength(2);
      expect(new Set(doc.votes.map((v) => v.voter)).size).toBe(2);
      expect(results.filter((r) => r.ok)).toHaveLength(2);
      expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(['already_decided', 'already_decided', 'already_decided']);
      expect(doc.votes.every((v) => v.at instanceof Date && (v.policy as { version: number }).version === 3)).toBe(true);
      expect((await resumed(id))?.decision).toBe('approve');
      expect(await t.ctx.models.AuditEntry.countDocuments({ target: id, action: 'approval.approve' })).toBe(1);
      expect(await t.ctx.models.AuditEntry.countDocuments({ target: id, action: 'approval.vote', outcome: 'done' })).toBe(2);
    }
  });

  it('when the same admin approves twice, then it counts once and the run does not resume', async () => {
    const id = await approval([{ required: 2, from: 'admins' }]);
    expect(await decideApproval(ctx(), { approvalId: id, decision: 'approve', actor: 'UADM1' })).toMatchObject({ ok: true, pending: true });
    expect(await decideApproval(ctx(), { approvalId: id, decision: 'approve', actor: 'UADM1' })).toMatchObject({ ok: false, reason: 'already_voted' });
    expect((await stored(id)).votes).toHaveLength(1);
    expect((await stored(id)).status).toBe('PENDING');
    expect(await resumed(id)).toBeUndefined();
    expect(await decideApproval(ctx(), { approvalId: id, decision: 'approve', actor: 'UADM2' })).toMatchObject({ ok: true });
    expect((await stored(id)).status).toBe('APPROVED');
  });

  it('when levels are set, then they are decided in order: an admin cannot vote on the finance level, and finance first unlocks the admins', async () => {
    const id = await approval([{ required: 1, from: 'group:finance' }, { required: 1, from: 'admins' }], { levelApprovers: ['UFIN1', 'UFIN2'] });
    expect(await decideApproval(ctx(), { approvalId: id, decision: 'approve', actor: 'UADM1' })).toMatchObject({ ok: false, reason: 'not_approver' });
    expect(await decideApproval(ctx(), { approvalId: id, decision: 'approve', actor: 'UFIN1' })).toMatchObject({ ok: true, pending: true });
    const mid = (await t.ctx.models.Approval.findById(id).lean()) as unknown as { level: number; levelApprovers: string[] };
    expect(mid.level).toBe(1);
    expect(mid.levelApprovers).toEqual(ADMINS);
    expect(await decideApproval(ctx(), { approvalId: id, decision: 'approve', actor: 'UFIN2' })).toMatchObject({ ok: false, reason: 'not_approver' });
    expect(await decideApproval(ctx(), { approvalId: id, decision: 'approve', actor: 'UADM3' })).toMatchObject({ ok: true });
    expect((await stored(id)).status).toBe('APPROVED');
  });

  it('when any approver rejects with a reason, then it ends there; without a reason it is refused', async () => {
    const id = await approval([{ required: 2, from: 'admins' }]);
    await decideApproval(ctx(), { approvalId: id, decision: 'approve', actor: 'UADM1' });
    expect(await decideApproval(ctx(), { approvalId: id, decision: 'reject', actor: 'UADM2' })).toMatchObject({ ok: false, reason: 'reason_required' });
    expect(await decideApproval(ctx(), { approvalId: id, decision: 'reject', actor: 'UADM2', reason: 'vendor not vetted' })).toMatchObject({ ok: true });
    expect(await stored(id)).toMatchObject({ status: 'REJECTED', decidedBy: 'UADM2' });
    expect((await resumed(id))?.decision).toBe('reject');
    expect(await decideApproval(ctx(), { approvalId: id, decision: 'approve', actor: 'UADM3' })).toMatchObject({ ok: false, reason: 'already_decided' });
  });

  it('when an approver delegated, then the delegate votes on their behalf; the record owner cannot approve, even as a delegate', async () => {
    await t.ctx.models.Delegation.create({ from: 'UADM4', to: 'UDELEG', createdAt: new Date() });
    const id = await approval([{ required: 1, from: ['UADM4'] }]);
    expect(await decideApproval(ctx(), { approvalId: id, decision: 'approve', actor: 'UDELEG' })).toMatchObject({ ok: true });
    expect((await stored(id)).votes[0]).toMatchObject({ by: 'UDELEG', voter: 'UADM4', onBehalfOf: 'UADM4' });
    await t.ctx.models.Delegation.deleteOne({ from: 'UADM4' });

    await t.ctx.models.Delegation.create({ from: 'UADM5', to: 'UOWNER', createdAt: new Date() });
    const own = await approval([{ required: 1, from: ['UADM5'] }], { subject: 'UOWNER' });
    expect(await decideApproval(ctx(), { approvalId: own, decision: 'approve', actor: 'UOWNER' })).toMatchObject({ ok: false, reason: 'self_approval', message: expect.stringMatching(/own this record/) });
    expect(await t.ctx.models.AuditEntry.findOne({ actor: 'UOWNER', target: own, outcome: 'refused' }).lean()).toBeTruthy();
    expect((await stored(own)).status).toBe('PENDING');
    await t.ctx.models.Delegation.deleteOne({ from: 'UADM5' });
  });

  it('when a 2-of-M approval is decided with lineage on, then each vote is linked to the run in the graph, with who voted for whom', async () => {
    const driver = neo4j.driver(neo4jUri(), neo4j.auth.basic('neo4j', ''), { disableLosslessIntegers: true });
    const withGraph = createIntegrations(t.ctx.config, t.ctx.logger, t.ctx.metrics, driver);
    try {
      await t.ctx.models.Delegation.create({ from: 'UADM3', to: 'UDELEG9', createdAt: new Date() });
      const id = await approval([{ required: 2, from: 'admins' }]);
      await decideApproval({ ...t.ctx, integrations: withGraph }, { approvalId: id, decision: 'approve', actor: 'UADM1' });
      await decideApproval({ ...t.ctx, integrations: withGraph }, { approvalId: id, decision: 'approve', actor: 'UDELEG9' });
      const runId = (await t.ctx.models.Approval.findById(id).lean())?.runId;
      const res = await driver.executeQuery('MATCH (:Run {id: $runId})-[:DECIDED_BY]->(a:Approval) RETURN a.id AS id, a.actor AS actor ORDER BY a.id', { runId });
      const rows = res.records.map((r) => ({ id: r.get('id') as string, actor: r.get('actor') as string }));
      expect(rows).toEqual([
        { id, actor: 'UDELEG9' },
        { id: `${id}:vote1`, actor: 'UADM1' },
        { id: `${id}:vote2`, actor: 'UDELEG9 on behalf of UADM3' },
      ]);
    } finally {
      await t.ctx.models.Delegation.deleteOne({ from: 'UADM3' });
      await withGraph.stop();
      await driver.close();
    }
  });
});
