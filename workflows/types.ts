import { Annotation } from '@langchain/langgraph';
import type { AppContext } from '../src/context.ts';
import type { Integrations } from '../src/integrations/index.ts';
import type { DiffEntry } from '../blocks/diff.ts';
import type { IntendedWrite } from '../blocks/approval-sheet.ts';
import type { PolicyEvaluation, PolicySnapshot } from './policy-eval.ts';

/** What INGEST hands over on a Run (contracts: Ingest → workflows hand-off). */
export interface Envelope {
  meta: {
    eventIds?: string[];
    source?: string;
    objectType: string;
    objectId: string;
    occurredFrom?: string;
    occurredTo?: string;
    receivedAt?: string;
    correlationId?: string;
    portalId?: number;
    subscriptionTypes?: string[];
    changedProperties?: string[];
    /** Set on a run orch started because an approved sheet no longer matched the record (workflows/approval-recheck.ts). */
    askedAgain?: { approvalId: string; runId: string; why: string };
  };
  payload: { properties?: Record<string, unknown>; associations?: Record<string, unknown>; previous?: Record<string, unknown> };
}

/** The decision fed back with Command({ resume }). */
export interface ResumeDecision {
  approvalId: string;
  decision: 'approve' | 'reject' | 'expire';
  actor: string;
  reason?: string;
  at: string;
}

export interface SopLink {
  id: string;
  title: string;
  url: string;
}

/**
 * State shared by the workflows (last value wins for each key). Everything here is checkpointed,
 * so it stays JSON: no Dates, no class instances.
 */
export const RunState = Annotation.Root({
  runId: Annotation<string>(),
  workflowId: Annotation<string>(),
  mode: Annotation<'dry-run' | 'live'>(),
  envelope: Annotation<Envelope>(),
  /** Properties as HubSpot sent them (envelope, or a fetch when the envelope had none). */
  raw: Annotation<Record<string, unknown> | null>(),
  /** Normalized object (company or deal). */
  record: Annotation<Record<string, unknown> | null>(),
  enrichment: Annotation<{ industry: string; riskLevel: 'LOW' | 'MEDIUM' | 'HIGH'; summary: string; flags?: string[]; source: 'openai' | 'fallback'; note?: string } | null>(),
  mirror: Annotation<{ id: string; fields: Record<string, unknown> } | null>(),
  diff: Annotation<DiffEntry[]>(),
  policy: Annotation<PolicySnapshot | null>(),
  evaluation: Annotation<PolicyEvaluation | null>(),
  intendedWrites: Annotation<IntendedWrite[]>(),
  approvalId: Annotation<string | null>(),
  decision: Annotation<ResumeDecision | null>(),
  writes: Annotation<IntendedWrite[]>(),
  sop: Annotation<SopLink | null>(),
  outcome: Annotation<string>(),
  /** Data of one workflow that the shared fields do not cover (contact-role-mapping: role, company, templates; deal-stage-kickoff: slots, attendees, agenda). JSON only. */
  extra: Annotation<Record<string, unknown> | null>(),
});
export type RunStateValue = typeof RunState.State;
export type RunStateUpdate = typeof RunState.Update;

export type WorkflowIntegrations = Pick<Integrations, 'hubspot' | 'airtable' | 'notion' | 'openai' | 'lineage'> & Partial<Pick<Integrations, 'calendar'>>;

/** What a graph's nodes may use; built once at the edge and closed over by the nodes. */
export interface WorkflowDeps {
  ctx: AppContext;
  integrations: WorkflowIntegrations;
}

export type NodeFn = (state: RunStateValue) => Promise<RunStateUpdate>;
