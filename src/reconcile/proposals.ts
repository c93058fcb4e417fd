import { MIRROR_ID_FIELD, MIRROR_TABLE, type Scalar } from './mirror-fields.ts';
import type { Finding, FindingType, PlannedWrite, ProposedFix } from './types.ts';

/**
 * The fix each finding proposes, as the exact writes (HubSpot is the source of truth; only the
 * mirror is written). Pure, so Preview, Apply's "did anything change?" check and tests agree.
 */
export function proposeFix(f: Finding): ProposedFix {
  switch (f.type) {
    case 'missing_in_mirror':
      return {
        kind: 'create_mirror_row',
        summary: `Create the ${MIRROR_TABLE} row from HubSpot (upsert on ${MIRROR_ID_FIELD})`,
        writes: [{ system: 'airtable', op: 'upsert', table: MIRROR_TABLE, mergeOn: MIRROR_ID_FIELD, fields: { ...(f.hubspot ?? {}) } }],
      };
    case 'field_drift': {
      const fields: Record<string, Scalar> = Object.fromEntries(f.diff.map((d) => [d.field, d.hubspot]));
      const recordId = f.mirror?.[0]?.recordId;
      return {
        kind: 'update_mirror_fields',
        summary: `Set ${f.diff.map((d) => d.field).join(', ')} in the mirror to HubSpot's values`,
        writes: [{ system: 'airtable', op: 'update', table: MIRROR_TABLE, ...(recordId ? { recordId } : {}), fields }],
      };
    }
    case 'orphan_in_mirror':
      return {
        kind: 'delete_mirror_rows',
        summary: f.reason === 'merged' ? `Delete the row: HubSpot merged this company into ${f.mergedInto}` : 'Delete the mirror row: it mirrors no HubSpot company',
        writes: (f.mirror ?? []).map((r) => deleteRow(r.recordId)),
      };
    case 'duplicate_mirror':
      if (f.objectType === 'domain') {
        return { kind: 'manual', summary: 'Decide which company owns the domain in HubSpot; the other findings on these rows carry their own fixes', writes: [] };
      }
      return {
        kind: 'delete_mirror_rows',
        summary: `Keep ${f.mirror?.[0]?.recordId} (closest to HubSpot) and delete the other ${(f.mirror?.length ?? 1) - 1}`,
        writes: (f.mirror ?? []).slice(1).map((r) => deleteRow(r.recordId)),
      };
  }
}

function deleteRow(recordId: string): PlannedWrite {
  return { system: 'airtable', op: 'delete', table: MIRROR_TABLE, recordId };
}

/** Types whose fix only adds or overwrites mirror data from HubSpot: candidates for auto-repair. */
export const AUTO_REPAIRABLE: readonly FindingType[] = ['missing_in_mirror', 'field_drift'];

/** Plain-text rendering of writes for Preview, the API and audit entries. */
export function describeWrites(writes: readonly PlannedWrite[]): string[] {
  return writes.map((w) => {
    const fields = w.fields ? ' ' + Object.entries(w.fields).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ') : '';
    if (w.op === 'upsert') return `airtable ${w.table}: upsert on ${w.mergeOn}${fields}`;
    if (w.op === 'update') return `airtable ${w.table}: update ${w.recordId}${fields}`;
    return `airtable ${w.table}: delete ${w.recordId}`;
  });
}
