import { buildCompanyIntake, COMPANY_INTAKE } from './company-intake.ts';
import { buildProcurementApproval, PROCUREMENT_APPROVAL } from './procurement-approval.ts';
import type { NodeFn, WorkflowDeps } from './types.ts';

type Builder = (deps: WorkflowDeps, wrap: (name: string, fn: NodeFn) => NodeFn) => ReturnType<typeof buildCompanyIntake> | ReturnType<typeof buildProcurementApproval>;

/**
 * Workflow id → graph builder. Ids are the ones INGEST's trigger table routes to;
 * `contact-role-mapping` and `deal-stage-kickoff` are reserved and not built yet.
 */
export const WORKFLOWS: Record<string, Builder> = {
  [COMPANY_INTAKE]: buildCompanyIntake,
  [PROCUREMENT_APPROVAL]: buildProcurementApproval,
};

export const RESERVED_WORKFLOWS = ['contact-role-mapping', 'deal-stage-kickoff'] as const;

export function workflowIds(): string[] {
  return Object.keys(WORKFLOWS);
}
