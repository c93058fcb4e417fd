import { END, START, StateGraph } from '@langchain/langgraph';
import type { IntendedWrite } from '../blocks/approval-sheet.ts';
import { fromMirrorFields, HUBSPOT_PROPERTIES, MIRROR_ID_FIELD, MIRROR_TABLE, toMirrorFields } from '../src/reconcile/mirror-fields.ts';
import { policyInForce } from '../src/services/policies.ts';
import { scheduleAfterWrite } from '../jobs/reconcile.ts';
import { requestApproval } from './approval-step.ts';
import { fetchObject, toNumber, toText } from './common-nodes.ts';
import { normalizeDomain } from '../src/domain.ts';
import { computeDiff } from './diff.ts';
import { WorkflowError } from './errors.ts';
import { evaluatePolicy } from './policy-eval.ts';
import { assessRisk, maxLevel, riskLine, riskOf, ruleRisk, withRiskSources } from './risk.ts';
import { recordPolicyFacts } from './policy-facts.ts';
import { postOutcome } from './report.ts';
import { assertWritesConfigured } from './write-targets.ts';
import { RunState, type NodeFn, type RunStateValue, type WorkflowDeps } from './types.ts';

export const COMPANY_INTAKE = 'company-intake';
/** Airtable Accounts field holding the Notion SOP link (a URL field). */
export const SOP_FIELD = 'SOP';

export interface NormalizedCompany {
  hubspotId: string;
  name: string | null;
  domain: string | null;
  industry: string | null;
  employees: number | null;
  revenue: number | null;
  lifecycleStage: string | null;
  owner: string | null;
}

/** The one domain normalizer (src/domain.ts): the sheet, the mirror write and reconciliation agree. */
export { normalizeDomain } from '../src/domain.ts';

export function normalizeCompany(id: string, raw: Record<string, unknown>): NormalizedCompany {
  return {
    hubspotId: id,
    name: toText(raw.name),
    domain: normalizeDomain(raw.domain),
    industry: toText(raw.industry),
    employees: toNumber(raw.numberofemployees),
    revenue: toNumber(raw.annualrevenue),
    lifecycleStage: toText(raw.lifecyclestage),
    owner: toText(raw.hubspot_owner_id),
  };
}

/** Deterministic enrichment used when OpenAI is not configured, fails or answers garbage. */
export function fallbackEnrichment(c: NormalizedCompany, note: string) {
  const big = (c.employees ?? 0) > 1000 || (c.revenue ?? 0) > 10_000_000;
  return {
    industry: c.industry ?? 'Unknown',
    riskLevel: big ? ('MEDIUM' as const) : ('LOW' as const),
    summary: `${c.name ?? 'Unnamed company'}${c.domain ? ` (${c.domain})` : ''}${c.industry ? `, ${c.industry}` : ''}`,
    source: 'fallback' as const,
    note,
  };
}

function nodes(deps: WorkflowDeps): Record<string, NodeFn> {
  const { integrations, ctx } = deps;
  const company = (s: RunStateValue) => s.record as unknown as NormalizedCompany;
  return {
    fetch: (s) => fetchObject(deps, s, [...HUBSPOT_PROPERTIES]),
    normalize: async (s) => ({ record: normalizeCompany(s.envelope.meta.objectId, s.raw ?? {}) as unknown as Record<string, unknown> }),
    enrich: async (s) => {
      const c = company(s);
      if (!integrations.openai) return { enrichment: fallbackEnrichment(c, 'OpenAI is not configured') };
      try {
        const e = await integrations.openai.enrichCompany({ name: c.name, domain: c.domain, industry: c.industry, employees: c.employees, revenue: c.revenue });
        return { enrichment: { ...e, source: 'openai' as const } };
      } catch (err) {
        // Enrichment is optional: the run never blocks or fails on it.
        ctx.logger.warn('OpenAI enrichment failed, using the deterministic fallback', { runId: s.runId, error: (err as Error).message });
        return { enrichment: fallbackEnrichment(c, `OpenAI failed: ${(err as Error).message.slice(0, 200)}`) };
      }
    },
    compare_mirror: async (s) => {
      const id = s.envelope.meta.objectId;
      const desired = toMirrorFields(id, s.raw ?? {});
      if (!integrations.airtable) return { mirror: null, diff: computeDiff({}, desired) };
      const found = await integrations.airtable.findByField(MIRROR_TABLE, MIRROR_ID_FIELD, id);
      const mirror = found[0] ? { id: found[0].id, fields: found[0].fields } : null;
      return { mirror, diff: computeDiff(mirror ? fromMirrorFields(mirror.fields) : {}, desired) };
    },
    check_policy: async (s) => {
      const policy = await policyInForce(ctx.models, COMPANY_INTAKE);
      if (!policy) throw new WorkflowError('configuration', `no policy "${COMPANY_INTAKE}" is in force (see workflows/policies.json)`);
      const c = company(s);
      const changedFields = s.diff.filter((d) => d.kind !== 'added').flatMap((d) => [d.field.toLowerCase()]);
      // AI may raise risk, never lower it: the policy sees the higher of the rules' floor and the model's level.
      const shown = { texts: [c.name, c.domain], employees: c.employees, revenue: c.revenue };
      const model = s.enrichment?.source === 'openai' ? s.enrichment : null;
      const facts = { employees: c.employees, revenue: c.revenue, industry: c.industry, aiRisk: maxLevel(ruleRisk(shown).level, model?.riskLevel), changedFields, owner: c.owner };
      const policyEval = evaluatePolicy(policy, facts);
      const risk = assessRisk({ ...shown, ruleFlags: policyEval.flags.filter((f) => f.ruleId !== 'ai_risk_high') }, model);
      const evaluation = withRiskSources(policyEval, risk, ['ai_risk_high'], model?.flags);
      await recordPolicyFacts(ctx.models, s.runId, policy, facts, evaluation);
      const noChanges = s.diff.length === 0 && s.mirror !== null;
      const intendedWrites: IntendedWrite[] = noChanges
        ? []
        : [{ system: 'airtable', target: MIRROR_TABLE, op: 'upsert', key: `${MIRROR_ID_FIELD}=${c.hubspotId}`, fields: toMirrorFields(c.hubspotId, s.raw ?? {}) }];
      // Before the sheet: a live write to an unconfigured service fails now, naming the variables.
      assertWritesConfigured(deps, s, intendedWrites);
      return { policy, evaluation, intendedWrites, outcome: noChanges ? 'no_changes' : 'pending' };
    },
    approval: async (s) => {
      const c = company(s);
      const risk = riskOf(s.evaluation);
      const decision = await requestApproval(deps, s, {
        step: 'approval',
        title: c.name ?? c.domain ?? `Company ${c.hubspotId}`,
        fields: [
          { label: 'Domain', value: c.domain },
          { label: 'Industry', value: c.industry ?? s.enrichment?.industry },
          { label: 'Employees', value: c.employees },
          { label: 'Annual revenue', value: c.revenue === null ? null : `$${c.revenue.toLocaleString('en-US')}` },
          { label: 'Lifecycle stage', value: c.lifecycleStage },
          { label: 'Owner', value: c.owner },
          { label: 'AI risk', value: risk ? riskLine(risk, s.enrichment?.source ?? 'none') : s.enrichment ? `${s.enrichment.riskLevel} (${s.enrichment.source})` : null },
        ],
      });
      return { decision, approvalId: decision.approvalId, outcome: decision.decision === 'approve' ? 'approved' : decision.decision === 'reject' ? 'rejected' : 'expired' };
    },
    write_mirror: async (s) => {
      const write = s.intendedWrites[0];
      if (!write) return { writes: [] };
      if (s.mode === 'dry-run') return { writes: [{ ...write, performed: false }] };
      if (!integrations.airtable) throw new WorkflowError('configuration', 'Airtable is not configured (AIRTABLE_API_KEY / AIRTABLE_BASE_ID): cannot write the Accounts mirror');
      // Upsert keyed by the HubSpot id: a replay after a crash updates the same record.
      const res = await integrations.airtable.upsertBy(MIRROR_TABLE, MIRROR_ID_FIELD, write.fields ?? {});
      await integrations.lineage.recordWrite({ runId: s.runId, system: 'airtable', recordId: res.id, op: res.created ? 'create' : 'update' });
      // Check just the written fields again in a few minutes: catches half-applied or overwritten writes.
      await scheduleAfterWrite(deps.ctx, { hubspotId: company(s).hubspotId, fields: Object.keys(write.fields ?? {}) });
      return { writes: [{ ...write, performed: true, recordId: res.id }], outcome: s.outcome === 'pending' ? 'written' : s.outcome };
    },
    attach_sop: async (s) => {
      if (!integrations.notion) return { sop: null };
      const c = company(s);
      const sop = await integrations.notion.findSop({ industry: c.industry ?? s.enrichment?.industry ?? null, lifecycleStage: c.lifecycleStage });
      if (!sop) return { sop: null };
      const write: IntendedWrite = { system: 'airtable', target: MIRROR_TABLE, op: 'upsert', key: `${MIRROR_ID_FIELD}=${c.hubspotId}`, fields: { [MIRROR_ID_FIELD]: c.hubspotId, [SOP_FIELD]: sop.url } };
      if (s.mode === 'dry-run' || !integrations.airtable) return { sop, writes: [...s.writes, { ...write, performed: false }] };
      const res = await integrations.airtable.upsertBy(MIRROR_TABLE, MIRROR_ID_FIELD, write.fields ?? {});
      await integrations.lineage.recordWrite({ runId: s.runId, system: 'notion', recordId: sop.id, op: 'link' });
      return { sop, writes: [...s.writes, { ...write, performed: true, recordId: res.id }] };
    },
    report: async (s) => {
      await postOutcome(deps, s, s.sop ?? null);
      return { outcome: s.outcome === 'pending' ? 'completed' : s.outcome };
    },
  };
}

export function buildCompanyIntake(deps: WorkflowDeps, wrap: (name: string, fn: NodeFn) => NodeFn) {
  const n = nodes(deps);
  const w = (name: string) => wrap(name, n[name] as NodeFn);
  return new StateGraph(RunState)
    .addNode('fetch', w('fetch'))
    .addNode('normalize', w('normalize'))
    .addNode('enrich', w('enrich'))
    .addNode('compare_mirror', w('compare_mirror'))
    .addNode('check_policy', w('check_policy'))
    .addNode('approval', w('approval'))
    .addNode('write_mirror', w('write_mirror'))
    .addNode('attach_sop', w('attach_sop'))
    .addNode('report', w('report'))
    .addEdge(START, 'fetch')
    .addEdge('fetch', 'normalize')
    .addEdge('normalize', 'enrich')
    .addEdge('enrich', 'compare_mirror')
    .addEdge('compare_mirror', 'check_policy')
    .addConditionalEdges('check_policy', (s) => (s.outcome === 'no_changes' ? END : s.evaluation?.needsApproval ? 'approval' : 'write_mirror'), ['approval', 'write_mirror', END])
    .addConditionalEdges('approval', (s) => (s.decision?.decision === 'approve' ? 'write_mirror' : 'report'), ['write_mirror', 'report'])
    .addEdge('write_mirror', 'attach_sop')
    .addEdge('attach_sop', 'report')
    .addEdge('report', END);
}

