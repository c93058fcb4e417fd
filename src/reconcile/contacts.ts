import type { AirtableAdapter } from '../integrations/airtable.ts';
import type { HubSpotAdapter } from '../integrations/hubspot.ts';
import { CONTACT_CHECK_FIELDS, CONTACT_ID_FIELD, CONTACT_PROPERTIES, CONTACTS_TABLE, contactCheckValues, contactName, contactRowValues, ROLE_PROPERTY } from './contact-fields.ts';
import type { Scalar } from './mirror-fields.ts';
import type { FieldDiff, ProposedFix, Severity } from './types.ts';

/**
 * The after-write check of one Contacts row (contact-role-mapping): HubSpot's contact against
 * its mirror row on the checked fields (Name, Email, Job Title, Role). Pure comparison plus the two
 * reads; the job records what it finds as exceptions of objectType 'contact'.
 */
export interface ContactFinding {
  type: 'missing_in_mirror' | 'field_drift' | 'duplicate_mirror' | 'orphan_in_mirror';
  severity: Severity;
  objectType: 'contact';
  objectId: string;
  title: string;
  diff: FieldDiff[];
  proposedFix: ProposedFix;
}

export function compareContact(contactId: string, hubspot: Record<string, unknown> | null, rows: { id: string; fields: Record<string, unknown> }[]): ContactFinding[] {
  const name = (hubspot && contactName(hubspot)) ?? `contact ${contactId}`;
  if (!hubspot) {
    if (rows.length === 0) return [];
    return [{ type: 'orphan_in_mirror', severity: 'medium', objectType: 'contact', objectId: contactId, title: `Contacts row for deleted HubSpot contact ${contactId}`, diff: [], proposedFix: { kind: 'delete_mirror_rows', summary: 'Delete the Contacts row: it mirrors no HubSpot contact', writes: rows.map((r) => ({ system: 'airtable' as const, op: 'delete' as const, table: CONTACTS_TABLE, recordId: r.id })) } }];
  }
  const want = contactCheckValues(hubspot);
  if (rows.length === 0) {
    return [{ type: 'missing_in_mirror', severity: 'high', objectType: 'contact', objectId: contactId, title: `${name} is missing in Contacts`, diff: [], proposedFix: { kind: 'create_mirror_row', summary: `Create the ${CONTACTS_TABLE} row from HubSpot (upsert on ${CONTACT_ID_FIELD})`, writes: [{ system: 'airtable', op: 'upsert', table: CONTACTS_TABLE, mergeOn: CONTACT_ID_FIELD, fields: { [CONTACT_ID_FIELD]: contactId, ...want } }] } }];
  }
  const out: ContactFinding[] = [];
  if (rows.length > 1) {
    out.push({ type: 'duplicate_mirror', severity: 'medium', objectType: 'contact', objectId: contactId, title: `${name} has ${rows.length} Contacts rows`, diff: [], proposedFix: { kind: 'delete_mirror_rows', summary: 'Keep the first row, delete the others', writes: rows.slice(1).map((r) => ({ system: 'airtable' as const, op: 'delete' as const, table: CONTACTS_TABLE, recordId: r.id })) } });
  }
  const row = rows[0] as { id: string; fields: Record<string, unknown> };
  const have = contactRowValues(row.fields);
  const diff: FieldDiff[] = CONTACT_CHECK_FIELDS.filter((f) => (want[f] ?? null) !== (have[f] ?? null)).map((f) => ({ field: f, hubspot: want[f] ?? null, mirror: have[f] ?? null }));
  if (diff.length) {
    const fields: Record<string, Scalar> = Object.fromEntries(diff.map((d) => [d.field, d.hubspot]));
    out.push({ type: 'field_drift', severity: 'medium', objectType: 'contact', objectId: contactId, title: `${name}: ${diff.map((d) => d.field).join(', ')} differ in Contacts`, diff, proposedFix: { kind: 'update_mirror_fields', summary: `Set ${diff.map((d) => d.field).join(', ')} in Contacts to HubSpot's values`, writes: [{ system: 'airtable', op: 'update', table: CONTACTS_TABLE, recordId: row.id, fields }] } });
  }
  return out;
}

export async function checkContact(deps: { hubspot: Pick<HubSpotAdapter, 'getObject'>; airtable: Pick<AirtableAdapter, 'findByField'> }, contactId: string): Promise<ContactFinding[]> {
  const contact = await deps.hubspot.getObject('contacts', contactId, [...CONTACT_PROPERTIES]);
  const rows = await deps.airtable.findByField(CONTACTS_TABLE, CONTACT_ID_FIELD, contactId);
  return compareContact(contactId, contact ? contact.properties : null, rows);
}

export interface ContactReconcileDeps {
  hubspot: Pick<HubSpotAdapter, 'batchRead' | 'listObjects'>;
  airtable: Pick<AirtableAdapter, 'listPages'>;
  signal?: AbortSignal;
}

/**
 * The nightly pass over Contacts: every row is compared with its HubSpot contact (batch reads of
 * 100): drift, duplicate rows, rows whose contact is gone (orphan); then every HubSpot contact that
 * carries an `orch_role` (orch mapped it) but has no row is missing. Returns the findings.
 */
export async function compareAllContacts(deps: ContactReconcileDeps, pageSize = 100): Promise<{ findings: ContactFinding[]; rows: number; contacts: number }> {
  const byId = new Map<string, { id: string; fields: Record<string, unknown> }[]>();
  let rows = 0;
  for await (const page of deps.airtable.listPages(CONTACTS_TABLE, { pageSize, fields: [CONTACT_ID_FIELD, ...CONTACT_CHECK_FIELDS] })) {
    for (const r of page) {
      rows++;
      const id = r.fields[CONTACT_ID_FIELD];
      if (id === undefined || id === null || id === '') continue;
      byId.set(String(id), [...(byId.get(String(id)) ?? []), r]);
    }
    deps.signal?.throwIfAborted();
  }
  const found = await deps.hubspot.batchRead('contacts', [...byId.keys()], [...CONTACT_PROPERTIES]);
  const findings: ContactFinding[] = [];
  for (const [id, list] of byId) findings.push(...compareContact(id, found.get(id)?.properties ?? null, list));
  let contacts = 0;
  let after: string | undefined;
  do {
    const page = await deps.hubspot.listObjects('contacts', { ...(after ? { after } : {}), limit: pageSize, properties: [...CONTACT_PROPERTIES] });
    for (const c of page.results) {
      contacts++;
      if (!byId.has(c.id) && c.properties[ROLE_PROPERTY]) findings.push(...compareContact(c.id, c.properties, []));
    }
    after = page.after;
    deps.signal?.throwIfAborted();
  } while (after);
  return { findings, rows, contacts };
}
