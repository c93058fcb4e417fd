import { WorkflowError } from './errors.ts';
import type { RunStateValue, RunStateUpdate, WorkflowDeps } from './types.ts';

/**
 * First node of every workflow: the object's properties from the envelope; only when INGEST
 * could not attach them (e.g. a replay) are they read from HubSpot.
 */
export async function fetchObject(deps: WorkflowDeps, state: RunStateValue, properties: string[]): Promise<RunStateUpdate> {
  const { objectType, objectId, eventIds } = state.envelope.meta;
  await deps.integrations.lineage.recordRun({ runId: state.runId, workflowId: state.workflowId, objectType, objectId, eventIds: eventIds ?? [] });
  const fromEnvelope = state.envelope.payload?.properties ?? {};
  if (Object.keys(fromEnvelope).length > 0) return { raw: { ...fromEnvelope, hs_object_id: objectId } };
  const obj = await deps.integrations.hubspot.getObject(hubspotType(objectType), objectId, properties);
  if (!obj) throw new WorkflowError('not_found', `${objectType} ${objectId} no longer exists in HubSpot`);
  return { raw: { ...obj.properties, hs_object_id: objectId } };
}

/** HubSpot's CRM API wants plural object types ("companies"); webhooks say "company". */
export function hubspotType(objectType: string): string {
  const t = objectType.toLowerCase();
  if (t === 'company') return 'companies';
  if (t === 'deal') return 'deals';
  if (t === 'contact') return 'contacts';
  return t;
}

export function toNumber(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(String(v).replace(/,/g, ''));
  return Number.isFinite(n) ? n : null;
}

export function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v).trim();
  return s === '' ? null : s;
}
