import { END, START, StateGraph } from '@langchain/langgraph';
import type { IntendedWrite } from '../blocks/approval-sheet.ts';
import { policyInForce } from '../src/services/policies.ts';
import { requestApproval } from './approval-step.ts';
import { fetchObject, toNumber, toText } from './common-nodes.ts';
import { WorkflowError } from './errors.ts';
import { evaluatePolicy } from './policy-eval.ts';
import { recordPolicyFacts } from './policy-facts.ts';
import { postOutcome } from './report.ts';
import { assertWritesConfigured } from './write-targets.ts';
import { RunState, type NodeFn, type RunStateValue, type WorkflowDeps } from './types.ts';

export const PROCUREMENT_APPROVAL = 'procurement-approval';
export const PROCUREMENT_TABLE = 'Procurement';
export const PROCUREMENT_KEY = 'Deal Id';
export const STATUS_PROPERTY = 'orch_procurement_status';
const DEAL_PROPERTIES = ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'hubspot_owner_id', STATUS_PROPERTY];

export interface NormalizedDeal {
  dealId: string;
  name: string | null;
  amount: number | null;
  stage: string | null;
  pipeline: string | null;
  closeDate: string | null;
  owner: string | null;
}

export function normalizeDeal(id: string, raw: Record<string, unknown>): NormalizedDeal {
  return {
    dealId: id,
    name: toText(raw.dealname),
    amount: toNumber(raw.amount),
    stage: toText(raw.dealstage),
    pipeline: toText(raw.pipeline),
    closeDate: toText(raw.closedate),
    owner: toText(raw.hubspot_owner_id),
  };
}

function procurementFields(d: NormalizedDeal): Record<string, unknown> {
  return { [PROCUREMENT_KEY]: d.dealId, Name: d.name, Amount: d.amount, Stage: d.stage, Owner: d.owner, Status: 'approved' };
}

function plannedWrites(d: NormalizedDeal): IntendedWrite[] {
  return [
    { system: 'airtable', target: PROCUREMENT_TABLE, op: 'upsert', key: `${PROCUREMENT_KEY}=${d.dealId}`, fields: procurementFields(d) },
    { system: 'hubspot', target: 'deals', op: 'update', key: d.dealId, fields: { [STATUS_PROPERTY]: 'approved' } },
  ];
}

function nodes(deps: WorkflowDeps): Record<string, NodeFn> {
  const { integrations, ctx } = deps;
  const deal = (s: RunStateValue) => s.record as unknown as NormalizedDeal;
  const setStatus = async (s: RunStateValue, value: 'approved' | 'rejected'): Promise<IntendedWrite> => {
    const d = deal(s);
    const write: IntendedWrite = { system: 'hubspot', target: 'deals', op: 'update', key: d.dealId, fields: { [STATUS_PROPERTY]: value } };
    if (s.mode === 'dry-run') return { ...write, performed: false };
    // Setting a property to a value is idempotent: a replay writes the same value again.
    await integrations.hubspot.updateObject('deals', d.dealId, { [STATUS_PROPERTY]: value });
    await integrations.lineage.recordWrite({ runId: s.runId, system: 'hubspot', recordId: `deal:${d.dealId}`, op: `set ${STATUS_PROPERTY}=${value}` });
    return { ...write, performed: true, recordId: d.dealId };
  };
  return {
    fetch: (s) => fetchObject(deps, s, DEAL_PROPERTIES),
    normalize: async (s) => ({ record: normalizeDeal(s.envelope.meta.objectId, s.raw ?? {}) as unknown as Record<string, unknown> }),
    check_policy: async (s) => {
      const policy = await policyInForce(ctx.models, PROCUREMENT_APPROVAL);
      if (!policy) throw new WorkflowError('configuration', `no policy "${PROCUREMENT_APPROVAL}" is in force (see workflows/policies.json)`);
      const d = deal(s);
      const facts = { amount: d.amount, dealstage: d.stage, pipeline: d.pipeline, owner: d.owner };
      const evaluation = evaluatePolicy(policy, facts);
      await recordPolicyFacts(ctx.models, s.runId, policy, facts, evaluation);
      const before = toText(s.raw?.[STATUS_PROPERTY]);
      const diff = [{ field: STATUS_PROPERTY, kind: before ? ('changed' as const) : ('added' as const), old: before, new: 'approved (on approve) / rejected (on reject)' }];
      // Before the sheet: a live write to an unconfigured service fails now, naming the variables.
      if (evaluation.needsApproval) assertWritesConfigured(deps, s, plannedWrites(d));
      return { policy, evaluation, diff, intendedWrites: plannedWrites(d), outcome: evaluation.needsApproval ? 'pending' : 'not_required' };
    },
    approval: async (s) => {
      const d = deal(s);
      const decision = await requestApproval(deps, s, {
        step: 'approval',
        title: d.name ?? `Deal ${d.dealId}`,
        fields: [
          { label: 'Amount', value: d.amount === null ? null : `$${d.amount.toLocaleString('en-US')}` },
          { label: 'Stage', value: d.stage },
          { label: 'Pipeline', value: d.pipeline },
          { label: 'Close date', value: d.closeDate },
          { label: 'Owner', value: d.owner },
        ],
      });
      return { decision, approvalId: decision.approvalId, outcome: decision.decision === 'approve' ? 'approved' : decision.decision === 'reject' ? 'rejected' : 'expired' };
    },
    write_procurement: async (s) => {
      const d = deal(s);
      const write = plannedWrites(d)[0] as IntendedWrite;
      if (s.mode === 'dry-run') return { writes: [{ ...write, performed: false }] };
      if (!integrations.airtable) throw new WorkflowError('configuration', 'Airtable is not configured: cannot create the Procurement record');
      const res = await integrations.airtable.upsertBy(PROCUREMENT_TABLE, PROCUREMENT_KEY, { ...procurementFields(d), 'Approved By': s.decision?.actor ?? null });
      await integrations.lineage.recordWrite({ runId: s.runId, system: 'airtable', recordId: res.id, op: res.created ? 'create' : 'update' });
      return { writes: [{ ...write, performed: true, recordId: res.id }] };
    },
    set_approved: async (s) => ({ writes: [...s.writes, await setStatus(s, 'approved')] }),
    set_rejected: async (s) => ({ writes: [await setStatus(s, 'rejected')] }),
    report: async (s) => {
      await postOutcome(deps, s, null);
      return { outcome: s.outcome === 'pending' ? 'completed' : s.outcome };
    },
  };
}

export function buildProcurementApproval(deps: WorkflowDeps, wrap: (name: string, fn: NodeFn) => NodeFn) {
  const n = nodes(deps);
  const w = (name: string) => wrap(name, n[name] as NodeFn);
  return new StateGraph(RunState)
    .addNode('fetch', w('fetch'))
    .addNode('normalize', w('normalize'))
    .addNode('check_policy', w('check_policy'))
    .addNode('approval', w('approval'))
    .addNode('write_procurement', w('write_procurement'))
    .addNode('set_approved', w('set_approved'))
    .addNode('set_rejected', w('set_rejected'))
    .addNode('report', w('report'))
    .addEdge(START, 'fetch')
    .addEdge('fetch', 'normalize')
    .addEdge('normalize', 'check_policy')
    .addConditionalEdges('check_policy', (s) => (s.evaluation?.needsApproval ? 'approval' : END), ['approval', END])
    .addConditionalEdges('approval', (s) => (s.decision?.decision === 'approve' ? 'write_procurement' : s.decision?.decision === 'reject' ? 'set_rejected' : 'report'), [
      'write_procurement',
      'set_rejected',
      'report',
    ])
    .addEdge('write_procurement', 'set_approved')
    .addEdge('set_approved', 'report')
    .addEdge('set_rejected', 'report')
    .addEdge('report', END);
}
