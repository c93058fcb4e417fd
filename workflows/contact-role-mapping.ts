import { END, START, StateGraph } from '@langchain/langgraph';
import type { ApprovalChoice } from '../blocks/approval-choice.ts';
import type { IntendedWrite } from '../blocks/approval-sheet.ts';
import { HUBSPOT_PROPERTIES } from '../src/reconcile/mirror-fields.ts';
import { CONTACT_ACCOUNT_FIELD, CONTACT_CHECKLIST_FIELD, CONTACT_ID_FIELD, CONTACT_PROPERTIES, CONTACTS_TABLE, contactName, ROLE_PROPERTY, SENIORITY_PROPERTY, toContactFields } from '../src/reconcile/contact-fields.ts';
import { policyInForce } from '../src/services/policies.ts';
import { scheduleContactAfterWrite } from '../jobs/reconcile-contacts.ts';
import { requestApproval } from './approval-step.ts';
import { toText } from './common-nodes.ts';
import { writeChecklist, contactReplyText, type ContactExtra } from './contact-writes.ts';
import { computeDiff } from './diff.ts';
import { WorkflowError } from './errors.ts';
import { assertWritesConfigured } from './write-targets.ts';
import { evaluatePolicy } from './policy-eval.ts';
import { inferRole } from './role-inference.ts';
import { defaultRoleTables, isRole, ROLES, roleLabel, SENIORITIES, type RoleInference, type Seniority } from './role-rules.ts';
import { chosenOption, ensureAccountRow, readOrSkip, replyInThread } from './side-effects.ts';
import { RunState, type NodeFn, type RunStateValue, type WorkflowDeps } from './types.ts';

export const CONTACT_ROLE_MAPPING = 'contact-role-mapping';

const extraOf = (s: RunStateValue) => (s.extra ?? {}) as unknown as ContactExtra;
const withExtra = (s: RunStateValue, patch: Partial<ContactExtra>) => ({ extra: { ...(s.extra ?? {}), ...patch } as Record<string, unknown> });

/** The company id: the envelope's association, else associatedcompanyid, else the associations API. */
async function companyIdOf(deps: WorkflowDeps, s: RunStateValue, raw: Record<string, unknown>): Promise<string | null> {
  const listed = (s.envelope.payload?.associations as Record<string, string[]> | undefined)?.companies;
  const id = listed?.[0] ?? toText(raw.associatedcompanyid);
  if (id || listed) return id;
  // No associations in the envelope (a replay or a retried run): ask HubSpot.
  const ids = await deps.integrations.hubspot.getAssociations('contacts', s.envelope.meta.objectId, 'companies');
  return ids[0] ?? null;
}

function plannedWrites(x: ContactExtra, notionChecklist: boolean, accountMissing: boolean): IntendedWrite[] {
  const c = x.contact;
  const fields = { ...toContactFields(c.id, c.properties, x.role, x.seniority), [CONTACT_ACCOUNT_FIELD]: x.company ? `Accounts row of company ${x.company.id}` : null, [CONTACT_CHECKLIST_FIELD]: notionChecklist ? 'Notion checklist page' : 'checklist items as text' };
  return [
    ...(x.company && accountMissing ? [{ system: 'airtable' as const, target: 'Accounts', op: 'upsert' as const, key: `HubSpot Id=${x.company.id} (only if the company has no row yet)`, fields: { 'HubSpot Id': x.company.id, Name: toText(x.company.properties.name) } }] : []),
    ...(notionChecklist ? [{ system: 'notion' as const, target: 'checklist', op: 'create' as const, key: `Key=${c.id}:${x.role}`, fields: { items: defaultRoleTables().checklists[x.role].length } }] : []),
    { system: 'airtable', target: CONTACTS_TABLE, op: 'upsert', key: `${CONTACT_ID_FIELD}=${c.id}`, fields },
    { system: 'hubspot', target: 'contacts', op: 'update', key: c.id, fields: { [ROLE_PROPERTY]: x.role, [SENIORITY_PROPERTY]: x.seniority } },
  ];
}

/**
 * A role orch wrote earlier (an admin may have corrected it on the sheet) stays while the job title
 * does not change: a later phone or owner change must not re-infer and undo the correction.
 */
function keptRole(s: RunStateValue, x: ContactExtra): RoleInference | null {
  const p = x.contact.properties;
  const role = toText(p[ROLE_PROPERTY]);
  const seniority = toText(p[SENIORITY_PROPERTY]);
  const titleChanged = (s.envelope.meta.changedProperties ?? []).includes('jobtitle') || (s.envelope.meta.subscriptionTypes ?? []).includes('contact.creation');
  if (!isRole(role) || titleChanged) return null;
  return { roleCategory: role, seniority: (SENIORITIES as readonly string[]).includes(seniority ?? '') ? (seniority as Seniority) : 'unknown', confidence: 1, source: 'hubspot', note: 'kept: written by an earlier run' };
}

function roleChoice(x: ContactExtra): ApprovalChoice {
  return { id: 'role', label: 'Role to write', kind: 'static_select', initial: x.inference.roleCategory, options: ROLES.map((r) => ({ value: r, text: roleLabel(r) })) };
}

function nodes(deps: WorkflowDeps): Record<string, NodeFn> {
  const { integrations, ctx } = deps;
  const checklistDb = ctx.config.NOTION_CHECKLIST_DATABASE_ID;
  return {
    fetch: async (s) => {
      const { objectId, objectType, eventIds } = s.envelope.meta;
      await integrations.lineage.recordRun({ runId: s.runId, workflowId: s.workflowId, objectType, objectId, eventIds: eventIds ?? [] });
      const fromEnvelope = s.envelope.payload?.properties ?? {};
      const obj = Object.keys(fromEnvelope).length ? { properties: fromEnvelope } : await readOrSkip(() => integrations.hubspot.getObject('contacts', objectId, [...CONTACT_PROPERTIES]));
      if (!obj) return { outcome: 'skipped_deleted' };
      const raw = { ...obj.properties, hs_object_id: objectId } as Record<string, unknown>;
      const companyId = await companyIdOf(deps, s, raw);
      const company = companyId ? await readOrSkip(() => integrations.hubspot.getObject('companies', companyId, [...HUBSPOT_PROPERTIES])) : null;
      const contact = { id: objectId, name: contactName(raw), properties: raw };
      return { raw, ...withExtra(s, { contact, company: company ? { id: companyId as string, properties: company.properties } : null }) };
    },
    infer_role: async (s) => {
      const x = extraOf(s);
      const kept = keptRole(s, x);
      const inference = kept ?? (await inferRole(integrations.openai, toText(x.contact.properties.jobtitle), ctx.logger, { runId: s.runId }));
      return withExtra(s, { inference, role: inference.roleCategory, seniority: inference.seniority });
    },
    check_policy: async (s) => {
      const policy = await policyInForce(ctx.models, CONTACT_ROLE_MAPPING);
      if (!policy) throw new WorkflowError('configuration', `no policy "${CONTACT_ROLE_MAPPING}" is in force (see workflows/policies.json)`);
      const x = extraOf(s);
      const evaluation = evaluatePolicy(policy, { role: x.inference.roleCategory, confidence: x.inference.confidence, seniority: x.inference.seniority });
      const desired = toContactFields(x.contact.id, x.contact.properties, x.role, x.seniority);
      const found = integrations.airtable ? await integrations.airtable.findByField(CONTACTS_TABLE, CONTACT_ID_FIELD, x.contact.id) : [];
      const mirror = found[0] ? { id: found[0].id, fields: found[0].fields } : null;
      const current = mirror ? Object.fromEntries(Object.keys(desired).map((k) => [k, mirror.fields[k] ?? null])) : {};
      const diff = computeDiff(current, desired);
      // A linked row (Account set) means the Accounts row existed; the write step creates it when missing (one Airtable read less here: 5 requests/s per base).
      const accountMissing = Boolean(x.company) && !(Array.isArray(mirror?.fields[CONTACT_ACCOUNT_FIELD]) && (mirror?.fields[CONTACT_ACCOUNT_FIELD] as unknown[]).length > 0);
      const inSync = mirror && diff.length === 0 && !accountMissing && toText(x.contact.properties[ROLE_PROPERTY]) === x.role && toText(x.contact.properties[SENIORITY_PROPERTY]) === x.seniority;
      const intendedWrites = inSync ? [] : plannedWrites(x, Boolean(checklistDb && integrations.notion), accountMissing);
      // Before the sheet: a live write to an unconfigured service fails now, naming the variables.
      assertWritesConfigured(deps, s, intendedWrites);
      return { policy, evaluation, mirror, diff, intendedWrites, outcome: inSync ? 'no_changes' : 'pending', ...withExtra(s, { accountMissing }) };
    },
    approval: async (s) => {
      const x = extraOf(s);
      const i = x.inference;
      const decision = await requestApproval(deps, s, {
        step: 'approval',
        title: x.contact.name ?? toText(x.contact.properties.email) ?? `Contact ${x.contact.id}`,
        fields: [
          { label: 'Email', value: toText(x.contact.properties.email) },
          { label: 'Phone', value: toText(x.contact.properties.phone ?? x.contact.properties.mobilephone) },
          { label: 'Company', value: x.company ? (toText(x.company.properties.name) ?? `Company ${x.company.id}`) : 'none' },
          { label: 'Job title', value: toText(x.contact.properties.jobtitle) ?? '(none)' },
          { label: 'Inferred role', value: `${roleLabel(i.roleCategory)} · ${i.seniority} (${i.source === 'openai' ? 'AI' : i.source === 'hubspot' ? 'kept from the last decision' : 'rules'}, confidence ${i.confidence.toFixed(2)})` },
          { label: 'Checklist it seeds', value: defaultRoleTables().checklists[i.roleCategory].join(' · ') },
        ],
        choice: roleChoice(x),
      });
      const chosen = decision.decision === 'approve' ? await chosenOption(deps, decision.approvalId) : null;
      const role = isRole(chosen) ? chosen : x.role;
      const outcome = decision.decision === 'approve' ? 'approved' : decision.decision === 'reject' ? 'rejected' : 'expired';
      return { decision, approvalId: decision.approvalId, outcome, intendedWrites: plannedWrites({ ...x, role }, Boolean(checklistDb && integrations.notion), Boolean(x.accountMissing)), ...withExtra(s, { role }) };
    },
    write_mirror: async (s) => {
      const x = extraOf(s);
      const contactWrite = s.intendedWrites.find((w) => w.target === CONTACTS_TABLE) as IntendedWrite;
      if (s.mode === 'dry-run') return { writes: s.intendedWrites.filter((w) => w.system !== 'hubspot').map((w) => ({ ...w, performed: false })) };
      if (!integrations.airtable) throw new WorkflowError('configuration', 'Airtable is not configured (AIRTABLE_API_KEY / AIRTABLE_BASE_ID): cannot write the Contacts mirror');
      const account = x.company ? await ensureAccountRow(deps, x.company, s.runId) : null;
      const checklist = await writeChecklist(deps, x, checklistDb);
      const fields = { ...toContactFields(x.contact.id, x.contact.properties, x.role, x.seniority), [CONTACT_ACCOUNT_FIELD]: account ? [account.id] : [], [CONTACT_CHECKLIST_FIELD]: checklist.url ?? checklist.text };
      // Upsert keyed by the HubSpot id: a replay updates the same row.
      const res = await integrations.airtable.upsertBy(CONTACTS_TABLE, CONTACT_ID_FIELD, fields);
      await integrations.lineage.recordWrite({ runId: s.runId, system: 'airtable', recordId: res.id, op: res.created ? 'create' : 'update' });
      const writes: IntendedWrite[] = [
        ...(account?.created ? [{ system: 'airtable' as const, target: 'Accounts', op: 'upsert' as const, key: `HubSpot Id=${x.company?.id}`, performed: true, recordId: account.id }] : []),
        ...(checklist.url ? [{ system: 'notion' as const, target: 'checklist', op: 'create' as const, key: `Key=${x.contact.id}:${x.role}`, performed: true, recordId: checklist.id ?? '' }] : []),
        { ...contactWrite, fields, performed: true, recordId: res.id },
      ];
      return { writes, ...withExtra(s, { accountRowId: account?.id ?? null, checklist }) };
    },
    write_hubspot: async (s) => {
      const x = extraOf(s);
      const write: IntendedWrite = { system: 'hubspot', target: 'contacts', op: 'update', key: x.contact.id, fields: { [ROLE_PROPERTY]: x.role, [SENIORITY_PROPERTY]: x.seniority } };
      if (s.mode === 'dry-run') return { writes: [...s.writes, { ...write, performed: false }] };
      // Setting properties to values is idempotent: a replay writes the same values again.
      await integrations.hubspot.updateObject('contacts', x.contact.id, { [ROLE_PROPERTY]: x.role, [SENIORITY_PROPERTY]: x.seniority });
      await integrations.lineage.recordWrite({ runId: s.runId, system: 'hubspot', recordId: `contact:${x.contact.id}`, op: `set ${ROLE_PROPERTY}=${x.role}` });
      // Check the written Contacts row against HubSpot again in a few minutes (half-applied or overwritten writes).
      await scheduleContactAfterWrite(deps.ctx, x.contact.id);
      return { writes: [...s.writes, { ...write, performed: true, recordId: x.contact.id }], outcome: s.outcome === 'pending' ? 'written' : s.outcome };
    },
    find_templates: async (s) => {
      const x = extraOf(s);
      if (!integrations.notion) return withExtra(s, { templates: [] });
      const templates = await integrations.notion.findTemplates({ role: x.role, seniority: x.seniority });
      return withExtra(s, { templates });
    },
    report: async (s) => {
      await replyInThread(deps, s.approvalId, s.runId, contactReplyText(s, extraOf(s)));
      return { outcome: s.outcome === 'pending' ? 'completed' : s.outcome, sop: extraOf(s).templates?.[0] ?? null };
    },
  };
}

export function buildContactRoleMapping(deps: WorkflowDeps, wrap: (name: string, fn: NodeFn) => NodeFn) {
  const n = nodes(deps);
  const w = (name: string) => wrap(name, n[name] as NodeFn);
  return new StateGraph(RunState)
    .addNode('fetch', w('fetch'))
    .addNode('infer_role', w('infer_role'))
    .addNode('check_policy', w('check_policy'))
    .addNode('approval', w('approval'))
    .addNode('write_mirror', w('write_mirror'))
    .addNode('write_hubspot', w('write_hubspot'))
    .addNode('find_templates', w('find_templates'))
    .addNode('report', w('report'))
    .addEdge(START, 'fetch')
    .addConditionalEdges('fetch', (s) => (s.outcome === 'skipped_deleted' ? END : 'infer_role'), ['infer_role', END])
    .addEdge('infer_role', 'check_policy')
    .addConditionalEdges('check_policy', (s) => (s.outcome === 'no_changes' ? END : s.evaluation?.needsApproval ? 'approval' : 'write_mirror'), ['approval', 'write_mirror', END])
    .addConditionalEdges('approval', (s) => (s.decision?.decision === 'approve' ? 'write_mirror' : 'report'), ['write_mirror', 'report'])
    .addEdge('write_mirror', 'write_hubspot')
    .addEdge('write_hubspot', 'find_templates')
    .addEdge('find_templates', 'report')
    .addEdge('report', END);
}
