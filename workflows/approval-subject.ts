import type { RunStateValue, WorkflowDeps } from './types.ts';

/**
 * The Slack user the approval is about: the record's HubSpot owner (hubspot_owner_id → owner's
 * email → users.lookupByEmail). That person may not approve it, not even as a delegate. Never
 * throws: unknown means nobody is excluded.
 */
export async function approvalSubject(deps: WorkflowDeps, state: RunStateValue): Promise<string | undefined> {
  const ownerId = state.raw?.hubspot_owner_id;
  if (ownerId === undefined || ownerId === null || ownerId === '') return undefined;
  try {
    const email = await deps.integrations.hubspot.getOwnerEmail(String(ownerId));
    if (!email) return undefined;
    const res = await deps.ctx.slack.users.lookupByEmail({ email });
    return res.user?.id ?? undefined;
  } catch (err) {
    deps.ctx.logger.info('approval subject unknown (owner not found in Slack)', { runId: state.runId, error: (err as Error).message });
    return undefined;
  }
}
