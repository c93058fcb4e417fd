import { normalizeDomain } from '../domain.ts';

/**
 * The Airtable "Accounts" mirror of HubSpot companies: which HubSpot property lands in which
 * Airtable field. WORKFLOWS' company-intake mirror write and RECONCILE's comparison both import
 * this map, so "what we write" and "what we check" can never disagree.
 */
export const MIRROR_TABLE = 'Accounts';

/** Airtable field holding the HubSpot company id (the upsert key of every mirror write). */
export const MIRROR_ID_FIELD = 'HubSpot Id';

export interface MirrorField {
  /** HubSpot company property name. */
  property: string;
  /** Airtable field name in the Accounts table. */
  field: string;
  kind: 'string' | 'number' | 'domain' | 'id';
}

export const MIRROR_FIELDS: readonly MirrorField[] = [
  { property: 'hs_object_id', field: MIRROR_ID_FIELD, kind: 'id' },
  { property: 'name', field: 'Name', kind: 'string' },
  { property: 'domain', field: 'Domain', kind: 'domain' },
  { property: 'industry', field: 'Industry', kind: 'string' },
  { property: 'numberofemployees', field: 'Employees', kind: 'number' },
  { property: 'annualrevenue', field: 'Annual Revenue', kind: 'number' },
  { property: 'lifecyclestage', field: 'Lifecycle Stage', kind: 'string' },
  { property: 'hubspot_owner_id', field: 'Owner', kind: 'string' },
];

/** HubSpot properties to request when listing companies (merged ids tell orphans' fate). */
export const HUBSPOT_PROPERTIES: readonly string[] = [...MIRROR_FIELDS.map((f) => f.property), 'hs_merged_object_ids'];

/** Airtable fields to request when listing the mirror. */
export const AIRTABLE_FIELDS: readonly string[] = MIRROR_FIELDS.map((f) => f.field);

export type Scalar = string | number | null;

/**
 * Canonical form used for comparison: HubSpot sends every property as a string, Airtable keeps
 * numbers as numbers, and both sides may hold '' for "unset"; domains are case-insensitive.
 */
export function normalizeValue(kind: MirrorField['kind'], value: unknown): Scalar {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return normalizeValue(kind, value[0]);
  if (kind === 'number') {
    const text = String(value).trim().replace(/,/g, '');
    if (text === '') return null;
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  const text = String(value).trim();
  if (text === '') return null;
  if (kind === 'domain') return normalizeDomain(text);
  return text;
}

/** HubSpot properties → the exact Airtable fields a mirror write sets (numbers as numbers). */
export function toMirrorFields(hubspotId: string, properties: Record<string, unknown>, only?: readonly string[]): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const f of MIRROR_FIELDS) {
    if (only && !only.includes(f.field)) continue;
    out[f.field] = f.kind === 'id' ? hubspotId : normalizeValue(f.kind, properties[f.property]);
  }
  return out;
}

/** Airtable record fields → canonical values per mirrored field. */
export function fromMirrorFields(fields: Record<string, unknown>): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const f of MIRROR_FIELDS) out[f.field] = normalizeValue(f.kind, fields[f.field]);
  return out;
}

/** Accepts either Airtable field names or HubSpot property names; unknown names are dropped. */
export function mirrorFieldNames(names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const n of names) {
    const f = MIRROR_FIELDS.find((m) => m.field === n || m.property === n);
    if (f) out.add(f.field);
  }
  return [...out];
}
