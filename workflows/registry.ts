import { buildCompanyIntake, COMPANY_INTAKE } from './company-intake.ts';
import { buildProcurementApproval, PROCUREMENT_APPROVAL } from './procurement-approval.ts';
import { buildContactRoleMapping, CONTACT_ROLE_MAPPING } from './contact-role-mapping.ts';
import { buildDealStageKickoff, DEAL_STAGE_KICKOFF } from './deal-stage-kickoff.ts';
import type { NodeFn, WorkflowDeps } from './types.ts';

type Builder = (deps: WorkflowDeps, wrap: (name: string, fn: NodeFn) => NodeFn) =>
  | ReturnType<typeof buildCompanyIntake>
  | ReturnType<typeof buildProcurementApproval>
  | ReturnType<typeof buildContactRoleMapping>
  | ReturnType<typeof buildDealStageKickoff>;

/** Workflow id → graph builder. Ids are the ones INGEST's trigger table routes to. */
export const WORKFLOWS: Record<string, Builder> = {
  [COMPANY_INTAKE]: buildCompanyIntake,
  [PROCUREMENT_APPROVAL]: buildProcurementApproval,
  [CONTACT_ROLE_MAPPING]: buildContactRoleMapping,
  [DEAL_STAGE_KICKOFF]: buildDealStageKickoff,
};

/** Ids promised but not built yet: none since contact-role-mapping and deal-stage-kickoff (issue 11). */
export const RESERVED_WORKFLOWS: readonly string[] = [];

export function workflowIds(): string[] {
  return Object.keys(WORKFLOWS);
}
