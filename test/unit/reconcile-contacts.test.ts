import { describe, expect, it } from 'vitest';
import { compareContact } from '../../src/reconcile/contacts.ts';

const hs = { firstname: 'Jane', lastname: 'Doe', email: 'jane@globex.com', jobtitle: 'VP of Finance', orch_role: 'legal' };
const row = (fields: Record<string, unknown>, id = 'rec1') => ({ id, fields: { 'HubSpot Id': '6101', Name: 'Jane Doe', Email: 'jane@globex.com', 'Job Title': 'VP of Finance', Role: 'legal', ...fields } });

describe('Contacts after-write comparison', () => {
  it('when the row matches HubSpot, then there is no finding', () => {
    expect(compareContact('6101', hs, [row({})])).toEqual([]);
  });

  it('when the row drifted, then a field_drift finding proposes updating just those fields on that row', () => {
    const [f] = compareContact('6101', hs, [row({ Role: 'finance', 'Job Title': 'VP Finance' })]);
    expect(f?.type).toBe('field_drift');
    expect(f?.diff.map((d) => d.field)).toEqual(['Job Title', 'Role']);
    expect(f?.proposedFix.writes).toEqual([{ system: 'airtable', op: 'update', table: 'Contacts', recordId: 'rec1', fields: { 'Job Title': 'VP of Finance', Role: 'legal' } }]);
  });

  it('when the row is missing, duplicated or orphaned, then the matching finding comes out', () => {
    expect(compareContact('6101', hs, [])[0]?.type).toBe('missing_in_mirror');
    expect(compareContact('6101', hs, [row({}), row({}, 'rec2')]).map((f) => f.type)).toEqual(['duplicate_mirror']);
    expect(compareContact('6101', null, [row({})])[0]).toMatchObject({ type: 'orphan_in_mirror', proposedFix: { writes: [{ op: 'delete', table: 'Contacts', recordId: 'rec1' }] } });
  });
});
