import { MIRROR_FIELDS, MIRROR_ID_FIELD, MIRROR_TABLE, fromMirrorFields, normalizeValue, toMirrorFields, type Scalar } from './mirror-fields.ts';
import type { FieldDiff, Finding, HubSpotCompany, MirrorRow } from './types.ts';

/**
 * Pure comparison of HubSpot companies with the Airtable mirror. The mirror is indexed once
 * (only canonical values of the mirrored fields, so ~10k rows stay a few MB), then HubSpot pages
 * stream through `compareCompanies` and are dropped; `finishComparison` reports what was never
 * matched (orphans) and duplicates. Nothing here does I/O.
 */
interface IndexedRow {
  recordId: string;
  values: Record<string, Scalar>;
}

export interface MirrorIndex {
  byHubSpotId: Map<string, IndexedRow[]>;
  withoutId: IndexedRow[];
  seen: Set<string>;
  /** merged-away company id → surviving id, from HubSpot's hs_merged_object_ids. */
  mergedInto: Map<string, string>;
  /** How many HubSpot companies carry each domain (two mirror rows for a shared domain are fine). */
  hubspotDomains: Map<string, number>;
  rows: number;
  companies: number;
}

export function createMirrorIndex(): MirrorIndex {
  return { byHubSpotId: new Map(), withoutId: [], seen: new Set(), mergedInto: new Map(), hubspotDomains: new Map(), rows: 0, companies: 0 };
}

export function addMirrorRows(index: MirrorIndex, rows: readonly MirrorRow[]): void {
  for (const row of rows) {
    const values = fromMirrorFields(row.fields);
    const entry = { recordId: row.id, values };
    const id = values[MIRROR_ID_FIELD];
    index.rows++;
    if (id === null) {
      index.withoutId.push(entry);
      continue;
    }
    const key = String(id);
    const list = index.byHubSpotId.get(key);
    if (list) list.push(entry);
    else index.byHubSpotId.set(key, [entry]);
  }
}

export interface CompareOptions {
  /** Limit drift checks to these Airtable fields (after-write checks); default all mirrored. */
  fields?: readonly string[];
}

/** Compares one page of companies; marks their rows as seen. */
export function compareCompanies(index: MirrorIndex, companies: readonly HubSpotCompany[], opts: CompareOptions = {}): Finding[] {
  const findings: Finding[] = [];
  for (const company of companies) {
    index.companies++;
    noteMerged(index, company);
    const hubspot = toMirrorFields(company.id, company.properties);
    const domain = hubspot.Domain;
    if (typeof domain === 'string') index.hubspotDomains.set(domain, (index.hubspotDomains.get(domain) ?? 0) + 1);
    const rows = index.byHubSpotId.get(company.id);
    if (!rows || rows.length === 0) {
      findings.push(missing(company.id, hubspot));
      continue;
    }
    index.seen.add(company.id);
    const ranked = rankRows(rows, hubspot, opts.fields);
    const best = ranked[0] as { row: IndexedRow; diff: FieldDiff[] };
    if (best.diff.length > 0) findings.push(drift(company.id, hubspot, best.row, best.diff));
    if (ranked.length > 1) findings.push(duplicateId(company.id, hubspot, ranked.map((r) => r.row)));
  }
  return findings;
}

/** Orphans (rows no listed company claimed) and domain duplicates; call after the last page. */
export function finishComparison(index: MirrorIndex): Finding[] {
  const findings: Finding[] = [];
  for (const [id, rows] of index.byHubSpotId) {
    if (index.seen.has(id)) continue;
    const mergedInto = index.mergedInto.get(id);
    findings.push(orphan('company', id, rows, mergedInto ? 'merged' : 'not_in_hubspot', mergedInto));
    if (rows.length > 1) findings.push(duplicateId(id, undefined, rows));
  }
  for (const row of index.withoutId) findings.push(orphan('mirror_row', row.recordId, [row], 'no_hubspot_id'));
  findings.push(...domainDuplicates(index));
  return findings;
}

/** Convenience for small sets and tests: the whole comparison in one call. */
export function compareAll(companies: readonly HubSpotCompany[], rows: readonly MirrorRow[], opts: CompareOptions = {}): Finding[] {
  const index = createMirrorIndex();
  addMirrorRows(index, rows);
  return [...compareCompanies(index, companies, opts), ...finishComparison(index)];
}

/** Differences on mirrored fields, HubSpot being the source of truth. */
export function diffFields(hubspot: Record<string, Scalar>, mirror: Record<string, Scalar>, fields?: readonly string[]): FieldDiff[] {
  const diff: FieldDiff[] = [];
  for (const f of MIRROR_FIELDS) {
    if (f.kind === 'id' || (fields && !fields.includes(f.field))) continue;
    const a = hubspot[f.field] ?? null;
    const b = mirror[f.field] ?? null;
    if (a !== b) diff.push({ field: f.field, hubspot: a, mirror: b });
  }
  return diff;
}

function noteMerged(index: MirrorIndex, company: HubSpotCompany): void {
  const merged = normalizeValue('string', company.properties.hs_merged_object_ids);
  if (typeof merged !== 'string') return;
  for (const old of merged.split(/[;,]/)) if (old.trim()) index.mergedInto.set(old.trim(), company.id);
}

/** The best-matching row first: it is the one kept, the others are duplicates. */
function rankRows(rows: IndexedRow[], hubspot: Record<string, Scalar>, fields?: readonly string[]) {
  return rows.map((row) => ({ row, diff: diffFields(hubspot, row.values, fields) })).sort((a, b) => a.diff.length - b.diff.length);
}

const IDENTITY_FIELDS = new Set(['Name', 'Domain']);

function missing(id: string, hubspot: Record<string, Scalar>): Finding {
  return { type: 'missing_in_mirror', severity: 'medium', objectType: 'company', objectId: id, title: `${label(hubspot, id)} is missing from the ${MIRROR_TABLE} mirror`, diff: [], hubspot };
}

function drift(id: string, hubspot: Record<string, Scalar>, row: IndexedRow, diff: FieldDiff[]): Finding {
  const severity = diff.some((d) => IDENTITY_FIELDS.has(d.field)) ? 'high' : 'medium';
  const names = diff.map((d) => d.field).join(', ');
  return { type: 'field_drift', severity, objectType: 'company', objectId: id, title: `${label(hubspot, id)}: ${names} differ in the mirror`, diff, hubspot, mirror: [{ recordId: row.recordId, fields: row.values }] };
}

function duplicateId(id: string, hubspot: Record<string, Scalar> | undefined, rows: IndexedRow[]): Finding {
  const mirror = rows.map((r) => ({ recordId: r.recordId, fields: r.values }));
  const name = hubspot ? label(hubspot, id) : `HubSpot company ${id}`;
  return { type: 'duplicate_mirror', severity: 'high', objectType: 'company', objectId: id, title: `${name} has ${rows.length} mirror rows`, diff: [], ...(hubspot ? { hubspot } : {}), mirror };
}

function orphan(objectType: 'company' | 'mirror_row', id: string, rows: IndexedRow[], reason: Finding['reason'], mergedInto?: string): Finding {
  const name = rows[0]?.values.Name ?? id;
  const why = reason === 'merged' ? `was merged into ${mergedInto}` : reason === 'no_hubspot_id' ? 'has no HubSpot id' : 'has no HubSpot company';
  return {
    type: 'orphan_in_mirror',
    severity: 'low',
    objectType,
    objectId: id,
    title: `Mirror row "${name}" ${why}`,
    diff: [],
    mirror: rows.map((r) => ({ recordId: r.recordId, fields: r.values })),
    ...(reason ? { reason } : {}),
    ...(mergedInto ? { mergedInto } : {}),
  };
}

function domainDuplicates(index: MirrorIndex): Finding[] {
  const groups = new Map<string, IndexedRow[]>();
  const add = (row: IndexedRow) => {
    const d = row.values.Domain;
    if (typeof d !== 'string') return;
    const g = groups.get(d);
    if (g) g.push(row);
    else groups.set(d, [row]);
  };
  for (const rows of index.byHubSpotId.values()) rows.forEach(add);
  index.withoutId.forEach(add);
  const findings: Finding[] = [];
  for (const [domain, rows] of groups) {
    const identities = new Set(rows.map((r) => String(r.values[MIRROR_ID_FIELD] ?? `row:${r.recordId}`)));
    // Same HubSpot id twice is reported by id; a domain HubSpot itself holds N times may have N rows.
    if (identities.size < 2 || identities.size <= (index.hubspotDomains.get(domain) ?? 0)) continue;
    findings.push({
      type: 'duplicate_mirror',
      severity: 'medium',
      objectType: 'domain',
      objectId: domain,
      title: `${rows.length} mirror rows share the domain ${domain}`,
      diff: [],
      mirror: rows.map((r) => ({ recordId: r.recordId, fields: r.values })),
    });
  }
  return findings;
}

function label(hubspot: Record<string, Scalar>, id: string): string {
  return hubspot.Name ? `${hubspot.Name} (${id})` : `Company ${id}`;
}

/** Identity of an exception: one open exception per object and type. */
export function findingKey(f: { type: string; objectType: string; objectId: string }): string {
  return `${f.type}:${f.objectType}:${f.objectId}`;
}
