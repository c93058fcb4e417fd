import type { AirtableAdapter } from '../integrations/airtable.ts';
import type { HubSpotAdapter } from '../integrations/hubspot.ts';
import { compareAll } from './compare.ts';
import type { ExceptionView } from './exceptions.ts';
import { HUBSPOT_PROPERTIES, MIRROR_ID_FIELD, MIRROR_TABLE } from './mirror-fields.ts';
import { proposeFix } from './proposals.ts';
import type { FieldDiff, Finding, PlannedWrite } from './types.ts';
import { checkContact, type ContactFinding } from './contacts.ts';

/**
 * Apply's safety check: re-read the object in both systems now and recompute the finding.
 * The fix may be applied only if it would still perform exactly the writes the admin saw.
 */
export type Recheck =
  | { state: 'same'; finding: Finding | ContactFinding }
  | { state: 'gone' }
  | { state: 'changed'; finding: Finding | ContactFinding; explanation: string }
  | { state: 'unverifiable'; explanation: string };

export interface RecheckDeps {
  hubspot: Pick<HubSpotAdapter, 'getObject'>;
  airtable: Pick<AirtableAdapter, 'findByField'>;
}

export async function recheckException(deps: RecheckDeps, exc: ExceptionView): Promise<Recheck> {
  if (exc.objectType === 'contact') return recheckContact(deps, exc);
  if (exc.objectType !== 'company') {
    return { state: 'unverifiable', explanation: `a ${exc.objectType} finding cannot be re-read one by one; the next reconciliation re-checks it` };
  }
  const company = await deps.hubspot.getObject('companies', exc.objectId, [...HUBSPOT_PROPERTIES]);
  const rows = await deps.airtable.findByField(MIRROR_TABLE, MIRROR_ID_FIELD, exc.objectId);
  const finding = compareAll(company ? [company] : [], rows).find((f) => f.type === exc.type && f.objectType === 'company' && f.objectId === exc.objectId);
  if (!finding) return { state: 'gone' };
  const before = exc.proposedFix?.writes ?? [];
  const now = proposeFix(finding).writes;
  if (sameWrites(before, now)) return { state: 'same', finding };
  return { state: 'changed', finding, explanation: explainChange(exc.diff, finding.diff, before, now) };
}

/** The same check for a Contacts finding (contact-role-mapping's mirror). */
async function recheckContact(deps: RecheckDeps, exc: ExceptionView): Promise<Recheck> {
  const finding = (await checkContact(deps, exc.objectId)).find((f) => f.type === exc.type);
  if (!finding) return { state: 'gone' };
  const before = exc.proposedFix?.writes ?? [];
  if (sameWrites(before, finding.proposedFix.writes)) return { state: 'same', finding };
  return { state: 'changed', finding, explanation: explainChange(exc.diff, finding.diff, before, finding.proposedFix.writes) };
}

function sameWrites(a: readonly PlannedWrite[], b: readonly PlannedWrite[]): boolean {
  return JSON.stringify(a.map(canonical)) === JSON.stringify(b.map(canonical));
}

function canonical(w: PlannedWrite) {
  const fields = w.fields ? Object.fromEntries(Object.entries(w.fields).sort(([x], [y]) => x.localeCompare(y))) : undefined;
  return { op: w.op, table: w.table, recordId: w.recordId ?? null, mergeOn: w.mergeOn ?? null, fields: fields ?? null };
}

/** Says in words what moved, e.g. `Industry: HubSpot now "RETAIL" (was "SOFTWARE" at detection)`. */
export function explainChange(before: readonly FieldDiff[], after: readonly FieldDiff[], wBefore: readonly PlannedWrite[], wAfter: readonly PlannedWrite[]): string {
  const parts: string[] = [];
  const fields = new Set([...before.map((d) => d.field), ...after.map((d) => d.field)]);
  for (const field of fields) {
    const b = before.find((d) => d.field === field);
    const a = after.find((d) => d.field === field);
    if (!a) parts.push(`${field} now matches`);
    else if (!b) parts.push(`${field} now differs too (HubSpot ${JSON.stringify(a.hubspot)}, mirror ${JSON.stringify(a.mirror)})`);
    else {
      if (a.hubspot !== b.hubspot) parts.push(`${field}: HubSpot now ${JSON.stringify(a.hubspot)} (was ${JSON.stringify(b.hubspot)} at detection)`);
      if (a.mirror !== b.mirror) parts.push(`${field}: mirror now ${JSON.stringify(a.mirror)} (was ${JSON.stringify(b.mirror)} at detection)`);
    }
  }
  if (parts.length === 0) {
    const rb = wBefore.map((w) => w.recordId).join(',');
    const ra = wAfter.map((w) => w.recordId).join(',');
    parts.push(rb !== ra ? `the mirror rows involved changed (${rb || 'none'} → ${ra || 'none'})` : 'the values the fix would write changed');
  }
  return `State changed since detection: ${parts.join('; ')}. Review the new state and try again.`;
}
