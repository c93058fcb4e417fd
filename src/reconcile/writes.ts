import type { AirtableAdapter } from '../integrations/airtable.ts';
import type { PlannedWrite } from './types.ts';

/** What a fix needs from the Airtable adapter; `destroy` only if the adapter offers deletes. */
export type MirrorWriter = Pick<AirtableAdapter, 'upsertBy' | 'update'> & { destroy?(table: string, id: string): Promise<unknown> };

export function canDelete(a: object): boolean {
  return typeof (a as MirrorWriter).destroy === 'function';
}

/** Performs planned writes in order; upserts are keyed by the HubSpot id, so a replay writes nothing new. */
export async function performWrites(airtable: MirrorWriter, writes: readonly PlannedWrite[]): Promise<void> {
  for (const w of writes) {
    if (w.op === 'upsert') await airtable.upsertBy(w.table, w.mergeOn as string, { ...(w.fields ?? {}) });
    else if (w.op === 'update') await airtable.update(w.table, w.recordId as string, { ...(w.fields ?? {}) });
    else if (airtable.destroy) await airtable.destroy(w.table, w.recordId as string);
    else throw new Error(`cannot delete ${w.recordId}: the Airtable adapter has no delete`);
  }
}
