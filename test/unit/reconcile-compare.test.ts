import { describe, expect, it } from 'vitest';
import { addMirrorRows, compareAll, compareCompanies, createMirrorIndex, finishComparison, findingKey } from '../../src/reconcile/compare.ts';
import { proposeFix, describeWrites } from '../../src/reconcile/proposals.ts';
import { normalizeValue, toMirrorFields } from '../../src/reconcile/mirror-fields.ts';
import { explainChange } from '../../src/reconcile/recheck.ts';
import type { HubSpotCompany, MirrorRow } from '../../src/reconcile/types.ts';

const company = (id: string, p: Record<string, unknown> = {}): HubSpotCompany => ({
  id,
  properties: { hs_object_id: id, name: `Acme ${id}`, domain: `acme${id}.com`, industry: 'SOFTWARE', numberofemployees: '50', annualrevenue: '1000000', lifecyclestage: 'customer', hubspot_owner_id: '77', ...p },
});
const row = (rid: string, hubspotId: string | undefined, f: Record<string, unknown> = {}): MirrorRow => ({
  id: rid,
  fields: {
    ...(hubspotId ? { 'HubSpot Id': hubspotId } : {}),
    Name: `Acme ${hubspotId}`,
    Domain: `acme${hubspotId}.com`,
    Industry: 'SOFTWARE',
    Employees: 50,
    'Annual Revenue': 1000000,
    'Lifecycle Stage': 'customer',
    Owner: '77',
    ...f,
  },
});

describe('reconciliation comparison', () => {
  it('when the mirror matches HubSpot exactly (numbers as numbers, case and www in domains), then there is no finding', () => {
    const findings = compareAll([company('1', { domain: 'WWW.Acme1.com' })], [row('rec1', '1')]);
    expect(findings).toEqual([]);
  });

  it('when a company has no mirror row, then one missing_in_mirror finding carries HubSpot values', () => {
    const [f, ...rest] = compareAll([company('1'), company('2')], [row('rec1', '1')]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ type: 'missing_in_mirror', objectType: 'company', objectId: '2', severity: 'medium' });
    expect(f?.hubspot).toMatchObject({ 'HubSpot Id': '2', Name: 'Acme 2', Employees: 50 });
  });

  it('when mirrored fields differ, then one field_drift finding lists exactly those fields with both values', () => {
    const findings = compareAll([company('1', { industry: 'RETAIL', numberofemployees: '60' })], [row('rec1', '1', { Owner: '78' })]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ type: 'field_drift', objectId: '1', severity: 'medium' });
    expect(findings[0]?.diff).toEqual([
      { field: 'Industry', hubspot: 'RETAIL', mirror: 'SOFTWARE' },
      { field: 'Employees', hubspot: 60, mirror: 50 },
      { field: 'Owner', hubspot: '77', mirror: '78' },
    ]);
  });

  it('when the name or domain drifts, then the drift is high severity', () => {
    const [f] = compareAll([company('1', { name: 'New Name' })], [row('rec1', '1')]);
    expect(f).toMatchObject({ type: 'field_drift', severity: 'high' });
  });

  it('when an after-write check names some fields, then drift on other fields is not reported', () => {
    const findings = compareAll([company('1', { industry: 'RETAIL', name: 'Changed' })], [row('rec1', '1')], { fields: ['Industry'] });
    expect(findings.map((f) => f.diff)).toEqual([[{ field: 'Industry', hubspot: 'RETAIL', mirror: 'SOFTWARE' }]]);
  });

  it('when a mirror row points at a company HubSpot does not list, then it is an orphan (not_in_hubspot)', () => {
    const findings = compareAll([company('1')], [row('rec1', '1'), row('rec9', '9')]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ type: 'orphan_in_mirror', objectType: 'company', objectId: '9', reason: 'not_in_hubspot', severity: 'low' });
    expect(findings[0]?.mirror?.[0]?.recordId).toBe('rec9');
  });

  it('when HubSpot merged the company into another, then the orphan says merged and into which id', () => {
    const findings = compareAll([company('1', { hs_merged_object_ids: '9;12' })], [row('rec1', '1'), row('rec9', '9', { Domain: 'old9.com' })]);
    expect(findings).toEqual([expect.objectContaining({ type: 'orphan_in_mirror', objectId: '9', reason: 'merged', mergedInto: '1' })]);
  });

  it('when a mirror row has no HubSpot id, then it is an orphan keyed by its record id', () => {
    const findings = compareAll([], [row('recX', undefined, { Domain: 'lonely.com' })]);
    expect(findings).toEqual([expect.objectContaining({ type: 'orphan_in_mirror', objectType: 'mirror_row', objectId: 'recX', reason: 'no_hubspot_id' })]);
  });

  it('when two rows mirror one HubSpot id, then duplicate_mirror keeps the closest row first and the drift is judged on it', () => {
    const findings = compareAll([company('1')], [row('recBad', '1', { Industry: 'X' }), row('recGood', '1')]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ type: 'duplicate_mirror', objectType: 'company', objectId: '1', severity: 'high' });
    expect(findings[0]?.mirror?.map((m) => m.recordId)).toEqual(['recGood', 'recBad']);
  });

  it('when two rows for different ids share a domain HubSpot holds once, then duplicate_mirror is keyed by the domain', () => {
    const findings = compareAll([company('1'), company('2', { domain: 'other.com' })], [row('rec1', '1'), row('rec2', '2', { Domain: 'acme1.com' })]);
    const dup = findings.find((f) => f.type === 'duplicate_mirror');
    expect(dup).toMatchObject({ objectType: 'domain', objectId: 'acme1.com' });
    expect(findings.find((f) => f.type === 'field_drift')?.objectId).toBe('2');
  });

  it('when HubSpot itself holds two companies with one domain, then their two rows are not duplicates', () => {
    const findings = compareAll([company('1', { domain: 'shared.com' }), company('2', { domain: 'shared.com' })], [row('rec1', '1', { Domain: 'shared.com' }), row('rec2', '2', { Domain: 'shared.com' })]);
    expect(findings).toEqual([]);
  });

  it('when companies arrive in pages, then the result equals the one-shot comparison', () => {
    const companies = [company('1'), company('2', { industry: 'RETAIL' }), company('3')];
    const rows = [row('rec1', '1'), row('rec2', '2'), row('rec4', '4')];
    const index = createMirrorIndex();
    addMirrorRows(index, rows.slice(0, 2));
    addMirrorRows(index, rows.slice(2));
    const paged = [...compareCompanies(index, companies.slice(0, 1)), ...compareCompanies(index, companies.slice(1)), ...finishComparison(index)];
    expect(paged.map(findingKey).sort()).toEqual(compareAll(companies, rows).map(findingKey).sort());
    expect(index.companies).toBe(3);
    expect(index.rows).toBe(3);
  });
});

describe('proposed fixes', () => {
  it('when a row is missing, then the fix is one upsert on HubSpot Id with every mirrored field', () => {
    const [f] = compareAll([company('2')], []);
    const fix = proposeFix(f!);
    expect(fix.kind).toBe('create_mirror_row');
    expect(fix.writes).toEqual([{ system: 'airtable', op: 'upsert', table: 'Accounts', mergeOn: 'HubSpot Id', fields: toMirrorFields('2', company('2').properties) }]);
  });

  it('when fields drift, then the fix updates only the drifted fields of the kept row to HubSpot values', () => {
    const [f] = compareAll([company('1', { industry: 'RETAIL' })], [row('rec1', '1')]);
    expect(proposeFix(f!).writes).toEqual([{ system: 'airtable', op: 'update', table: 'Accounts', recordId: 'rec1', fields: { Industry: 'RETAIL' } }]);
    expect(describeWrites(proposeFix(f!).writes)).toEqual(['airtable Accounts: update rec1 Industry="RETAIL"']);
  });

  it('when rows are orphaned or duplicated, then the fix deletes exactly the extra rows', () => {
    const [orphan] = compareAll([], [row('rec9', '9')]);
    expect(proposeFix(orphan!).writes).toEqual([{ system: 'airtable', op: 'delete', table: 'Accounts', recordId: 'rec9' }]);
    const [dup] = compareAll([company('1')], [row('recA', '1'), row('recB', '1', { Owner: '1' })]);
    expect(proposeFix(dup!).writes).toEqual([{ system: 'airtable', op: 'delete', table: 'Accounts', recordId: 'recB' }]);
  });

  it('when rows only share a domain, then the fix is manual with no writes', () => {
    const findings = compareAll([company('1'), company('2', { domain: 'b.com' })], [row('rec1', '1'), row('rec2', '2', { Domain: 'acme1.com' })]);
    const dup = findings.find((f) => f.objectType === 'domain');
    expect(proposeFix(dup!)).toMatchObject({ kind: 'manual', writes: [] });
  });
});

describe('mirror value normalisation', () => {
  it('when values are blank, padded or formatted, then they compare by meaning', () => {
    expect(normalizeValue('string', '  ')).toBeNull();
    expect(normalizeValue('number', '1,000')).toBe(1000);
    expect(normalizeValue('number', 'n/a')).toBe('n/a');
    expect(normalizeValue('domain', 'https://www.Acme.com/')).toBe('acme.com');
  });
});

describe('explaining a refused Apply', () => {
  it('when values moved since detection, then the explanation names each field, side, old and new value', () => {
    const text = explainChange(
      [{ field: 'Industry', hubspot: 'BANKING', mirror: 'SOFTWARE' }, { field: 'Owner', hubspot: '1', mirror: '2' }],
      [{ field: 'Industry', hubspot: 'INSURANCE', mirror: 'SOFTWARE' }, { field: 'Name', hubspot: 'B', mirror: 'A' }],
      [],
      [],
    );
    expect(text).toBe('State changed since detection: Industry: HubSpot now "INSURANCE" (was "BANKING" at detection); Owner now matches; Name now differs too (HubSpot "B", mirror "A"). Review the new state and try again.');
  });
});
