import { END, START, StateGraph } from '@langchain/langgraph';
import type { ApprovalChoice } from '../blocks/approval-choice.ts';
import type { IntendedWrite } from '../blocks/approval-sheet.ts';
import { HUBSPOT_PROPERTIES } from '../src/reconcile/mirror-fields.ts';
import { policyInForce } from '../src/services/policies.ts';
import { requestApproval } from './approval-step.ts';
import { toNumber, toText } from './common-nodes.ts';
import { WorkflowError } from './errors.ts';
import { assertWritesConfigured } from './write-targets.ts';
import { draftAgenda } from './kickoff-agenda.ts';
import { proposeSlots, slotLabel, type Slot } from './kickoff-slots.ts';
import { attendeeEmails, agendaText, eventIdFor, eventTitle, kickoffPage, kickoffReplyText, shareIcs, type KickoffExtra } from './kickoff-writes.ts';
import { evaluatePolicy } from './policy-eval.ts';
import { chosenOption, ensureAccountRow, readOrSkip, replyInThread } from './side-effects.ts';
import { RunState, type NodeFn, type RunStateValue, type WorkflowDeps } from './types.ts';

export const DEAL_STAGE_KICKOFF = 'deal-stage-kickoff';
export const KICKOFFS_TABLE = 'Kickoffs';
export const KICKOFF_KEY = 'Deal Id';
const DEAL_PROPERTIES = ['dealname', 'amount', 'dealstage', 'closedate', 'hubspot_owner_id'];
const CONTACT_FIELDS = ['firstname', 'lastname', 'email'];
const MAX_CONTACTS = 10;
/** Free/busy is read this far ahead (the slots must fall inside it). */
const FREEBUSY_DAYS = 21;

const extraOf = (s: RunStateValue) => (s.extra ?? {}) as unknown as KickoffExtra;
const withExtra = (s: RunStateValue, patch: Partial<KickoffExtra>) => ({ extra: { ...(s.extra ?? {}), ...patch } as Record<string, unknown> });
const money = (n: number | null) => (n === null ? 'amount unknown' : `$${n.toLocaleString('en-US')}`);

function plannedWrites(deps: WorkflowDeps, x: KickoffExtra): IntendedWrite[] {
  const google = Boolean(deps.integrations.calendar);
  const c = deps.ctx.config;
  return [
    google
      ? { system: 'google', target: 'calendar event', op: 'create', key: `event id derived from the run (${attendeeEmails(x).length} attendees)` }
      : { system: 'slack', target: 'kickoff.ics', op: 'create', key: 'uploaded to this thread, owner told by DM' },
    ...(c.NOTION_KICKOFF_DATABASE_ID && deps.integrations.notion ? [{ system: 'notion' as const, target: 'kickoff page', op: 'create' as const, key: `Deal Id=${x.deal.id}` }] : []),
    { system: 'airtable', target: KICKOFFS_TABLE, op: 'upsert', key: `${KICKOFF_KEY}=${x.deal.id}`, fields: { [KICKOFF_KEY]: x.deal.id, Deal: x.deal.name, Account: x.company ? `Accounts row of company ${x.company.id}` : null, Slot: 'the chosen slot', Event: google ? 'event link' : 'ics', Notion: 'page URL', Status: 'booked' } },
  ];
}

function slotChoice(x: KickoffExtra, tz: string): ApprovalChoice {
  return { id: 'slot', label: 'Kickoff slot', kind: 'radio_buttons', initial: x.slots[0]?.start ?? '', options: x.slots.map((sl) => ({ value: sl.start, text: slotLabel(sl, tz), description: sl.start })) };
}

async function fetchParties(deps: WorkflowDeps, s: RunStateValue, raw: Record<string, unknown>): Promise<Pick<KickoffExtra, 'company' | 'contacts' | 'owner'>> {
  const { hubspot } = deps.integrations;
  const dealId = s.envelope.meta.objectId;
  const assoc = (s.envelope.payload?.associations ?? {}) as Record<string, string[]>;
  // The envelope carries the associations ingest read (an empty list means none); the API only when it has none.
  const [companyIds, allContactIds] = await Promise.all([assoc.companies ?? hubspot.getAssociations('deals', dealId, 'companies'), assoc.contacts ?? hubspot.getAssociations('deals', dealId, 'contacts')]);
  const companyId = companyIds[0] ?? null;
  const contactIds = allContactIds.slice(0, MAX_CONTACTS);
  const ownerId = toText(raw.hubspot_owner_id);
  // Independent reads, at once.
  const [company, found, owner] = await Promise.all([
    companyId ? readOrSkip(() => hubspot.getObject('companies', companyId, [...HUBSPOT_PROPERTIES])) : null,
    contactIds.length ? hubspot.batchRead('contacts', contactIds, CONTACT_FIELDS) : new Map<string, never>(),
    ownerId ? hubspot.getOwner(ownerId) : null,
  ]);
  const contacts = contactIds.flatMap((id) => {
    const c = found.get(id);
    return c ? [{ id, name: [c.properties.firstname, c.properties.lastname].filter(Boolean).join(' ') || null, email: toText(c.properties.email) }] : [];
  });
  return { company: company && companyId ? { id: companyId, properties: company.properties } : null, contacts, owner };
}

function nodes(deps: WorkflowDeps): Record<string, NodeFn> {
  const { integrations, ctx } = deps;
  const cfg = ctx.config;
  return {
    fetch: async (s) => {
      const { objectId, objectType, eventIds } = s.envelope.meta;
      await integrations.lineage.recordRun({ runId: s.runId, workflowId: s.workflowId, objectType, objectId, eventIds: eventIds ?? [] });
      const fromEnvelope = s.envelope.payload?.properties ?? {};
      const obj = Object.keys(fromEnvelope).length ? { properties: fromEnvelope } : await readOrSkip(() => integrations.hubspot.getObject('deals', objectId, DEAL_PROPERTIES));
      // A deal deleted before the run got to it: skipped, and the run says so.
      if (!obj) return { outcome: 'skipped_deleted' };
      const raw = { ...obj.properties, hs_object_id: objectId } as Record<string, unknown>;
      const deal = { id: objectId, name: toText(raw.dealname), amount: toNumber(raw.amount), stage: toText(raw.dealstage), closeDate: toText(raw.closedate), ownerId: toText(raw.hubspot_owner_id) };
      return { raw, ...withExtra(s, { deal, ...(await fetchParties(deps, s, raw)) }) };
    },
    propose: async (s) => {
      const x = extraOf(s);
      const now = new Date();
      const calendar = integrations.calendar ?? null;
      const busy = calendar && x.owner?.email ? await calendar.freeBusy([x.owner.email], now.toISOString(), new Date(now.getTime() + FREEBUSY_DAYS * 86_400_000).toISOString()) : null;
      const slots = proposeSlots(now, { tz: cfg.ORCH_TZ, hours: cfg.ORCH_KICKOFF_HOURS, durationMs: cfg.ORCH_KICKOFF_DURATION, leadMs: cfg.ORCH_KICKOFF_LEAD, busy });
      if (slots.length === 0) throw new WorkflowError('invalid_input', `no kickoff slot fits ORCH_KICKOFF_HOURS=${cfg.ORCH_KICKOFF_HOURS} with ORCH_KICKOFF_DURATION in the next weeks`);
      const agenda = await draftAgenda(integrations.openai, { deal: x.deal.name ?? `deal ${x.deal.id}`, company: toText(x.company?.properties.name) ?? 'the customer', amount: money(x.deal.amount) }, ctx.logger);
      return withExtra(s, { slots, slotSource: busy ? 'calendar' : 'rules', agenda });
    },
    check_policy: async (s) => {
      const policy = await policyInForce(ctx.models, DEAL_STAGE_KICKOFF);
      if (!policy) throw new WorkflowError('configuration', `no policy "${DEAL_STAGE_KICKOFF}" is in force (see workflows/policies.json)`);
      const x = extraOf(s);
      const evaluation = evaluatePolicy(policy, { booksTime: true, amount: x.deal.amount, stage: x.deal.stage });
      const intendedWrites = plannedWrites(deps, x);
      // Before the sheet: a live write to an unconfigured service fails now, naming the variables.
      assertWritesConfigured(deps, s, intendedWrites);
      // A kickoff books people's time: always a human, whatever the policy version says.
      return { policy, evaluation: { ...evaluation, needsApproval: true }, diff: [], intendedWrites, outcome: 'pending' };
    },
    approval: async (s) => {
      const x = extraOf(s);
      const people = [x.owner ? `${x.owner.name ?? 'Owner'} <${x.owner.email ?? 'no email'}> (owner)` : null, ...x.contacts.map((c) => `${c.name ?? 'Contact'} <${c.email ?? 'no email'}>`)].filter(Boolean);
      const decision = await requestApproval(deps, s, {
        step: 'approval',
        title: x.deal.name ?? `Deal ${x.deal.id}`,
        fields: [
          { label: 'Amount', value: money(x.deal.amount) },
          { label: 'Company', value: toText(x.company?.properties.name) ?? 'none' },
          { label: 'Attendees', value: people.length ? people.join(', ') : 'owner only (no contacts)' },
          { label: 'Slots from', value: x.slotSource === 'calendar' ? "the owner's calendar (free/busy)" : `fixed rules (${cfg.ORCH_TZ})` },
          { label: `Draft agenda (${x.agenda.source === 'openai' ? 'AI' : 'template'})`, value: agendaText(x.agenda) },
        ],
        choice: slotChoice(x, cfg.ORCH_TZ),
      });
      const chosen = decision.decision === 'approve' ? await chosenOption(deps, decision.approvalId) : null;
      const slot = x.slots.find((sl) => sl.start === chosen) ?? x.slots[0];
      const outcome = decision.decision === 'approve' ? 'approved' : decision.decision === 'reject' ? 'rejected' : 'expired';
      return { decision, approvalId: decision.approvalId, outcome, ...withExtra(s, slot ? { slot } : {}) };
    },
    book: async (s) => {
      const x = extraOf(s);
      const slot = x.slot as Slot;
      const planned = s.intendedWrites[0] as IntendedWrite;
      if (s.mode === 'dry-run') return { writes: [{ ...planned, performed: false }] };
      if (integrations.calendar) {
        const ev = await integrations.calendar.createEvent({ id: eventIdFor(s.runId), summary: eventTitle(x), description: agendaText(x.agenda), start: slot.start, end: slot.end, timeZone: cfg.ORCH_TZ, attendees: attendeeEmails(x) });
        await integrations.lineage.recordWrite({ runId: s.runId, system: 'google', recordId: ev.id, op: ev.created ? 'create' : 'link' });
        return { writes: [{ ...planned, performed: true, recordId: ev.id }], ...withExtra(s, { event: { kind: 'google', id: ev.id, link: ev.htmlLink } }) };
      }
      const shared = await shareIcs(deps, s, x, slot);
      return { writes: [{ ...planned, performed: true, recordId: shared.fileId ?? 'ics' }], ...withExtra(s, { event: { kind: 'ics', uid: eventIdFor(s.runId), ...shared } }) };
    },
    notion_page: async (s) => {
      const x = extraOf(s);
      const db = cfg.NOTION_KICKOFF_DATABASE_ID;
      if (!db || !integrations.notion) return withExtra(s, { notion: null });
      const planned: IntendedWrite = { system: 'notion', target: 'kickoff page', op: 'create', key: `Deal Id=${x.deal.id}` };
      if (s.mode === 'dry-run') return { writes: [...s.writes, { ...planned, performed: false }] };
      const link = x.event?.kind === 'google' ? x.event.link : null;
      const page = await kickoffPage(deps, db, x, x.slot as Slot, link);
      await integrations.lineage.recordWrite({ runId: s.runId, system: 'notion', recordId: page.id, op: 'create' });
      return { writes: [...s.writes, { ...planned, performed: true, recordId: page.id }], ...withExtra(s, { notion: page }) };
    },
    write_kickoff: async (s) => {
      const x = extraOf(s);
      const planned = s.intendedWrites.find((w) => w.target === KICKOFFS_TABLE) as IntendedWrite;
      if (s.mode === 'dry-run') return { writes: [...s.writes, { ...planned, performed: false }] };
      if (!integrations.airtable) throw new WorkflowError('configuration', 'Airtable is not configured: cannot write the Kickoffs row');
      const account = x.company ? await ensureAccountRow(deps, x.company, s.runId) : null;
      const event = x.event?.kind === 'google' ? (x.event.link ?? x.event.id) : 'ics';
      const fields = { [KICKOFF_KEY]: x.deal.id, Deal: x.deal.name, Account: account ? [account.id] : [], Slot: x.slot?.start ?? null, Event: event, Notion: x.notion?.url ?? null, Status: 'booked' };
      const res = await integrations.airtable.upsertBy(KICKOFFS_TABLE, KICKOFF_KEY, fields);
      await integrations.lineage.recordWrite({ runId: s.runId, system: 'airtable', recordId: res.id, op: res.created ? 'create' : 'update' });
      return { writes: [...s.writes, { ...planned, fields, performed: true, recordId: res.id }], outcome: 'written', ...withExtra(s, { kickoffRowId: res.id }) };
    },
    report: async (s) => {
      await replyInThread(deps, s.approvalId, s.runId, kickoffReplyText(s, extraOf(s)));
      return { outcome: s.outcome === 'pending' || s.outcome === 'written' ? 'completed' : s.outcome, sop: extraOf(s).notion ?? null };
    },
  };
}

export function buildDealStageKickoff(deps: WorkflowDeps, wrap: (name: string, fn: NodeFn) => NodeFn) {
  const n = nodes(deps);
  const w = (name: string) => wrap(name, n[name] as NodeFn);
  return new StateGraph(RunState)
    .addNode('fetch', w('fetch'))
    .addNode('propose', w('propose'))
    .addNode('check_policy', w('check_policy'))
    .addNode('approval', w('approval'))
    .addNode('book', w('book'))
    .addNode('notion_page', w('notion_page'))
    .addNode('write_kickoff', w('write_kickoff'))
    .addNode('report', w('report'))
    .addEdge(START, 'fetch')
    .addConditionalEdges('fetch', (s) => (s.outcome === 'skipped_deleted' ? END : 'propose'), ['propose', END])
    .addEdge('propose', 'check_policy')
    .addEdge('check_policy', 'approval')
    .addConditionalEdges('approval', (s) => (s.decision?.decision === 'approve' ? 'book' : 'report'), ['book', 'report'])
    .addEdge('book', 'notion_page')
    .addEdge('notion_page', 'write_kickoff')
    .addEdge('write_kickoff', 'report')
    .addEdge('report', END);
}
