import { describe, expect, it } from 'vitest';
import { parseFormula } from '../fakes/airtable-formula.ts';

const rows: { id: string; fields: Record<string, string | number | string[]> }[] = [
  { id: 'rec1', fields: { 'HubSpot ID': '1', Name: "O'Brien, Ltd", Seats: 10, Tags: ['a', 'b'] } },
  { id: 'rec2', fields: { 'HubSpot ID': '2', Name: 'Acme', Seats: 3 } },
  { id: 'rec3', fields: { Name: 'No id' } },
];
const ids = (formula: string) => rows.filter(parseFormula(formula)).map((r) => r.id);

describe('the Airtable fake formula subset', () => {
  it('when a field is compared with quoted strings or numbers, then records match like Airtable', () => {
    expect(ids("{HubSpot ID}='2'")).toEqual(['rec2']);
    expect(ids('{Name}="O\'Brien, Ltd"')).toEqual(['rec1']);
    expect(ids('{Seats}=10')).toEqual(['rec1']);
    expect(ids("{HubSpot ID}=''")).toEqual(['rec3']);
    expect(ids("{HubSpot ID}!='1'")).toEqual(['rec2', 'rec3']);
    expect(ids("{Tags}='a, b'")).toEqual(['rec1']);
  });

  it('when AND, OR, NOT and RECORD_ID() are nested, then they combine', () => {
    expect(ids("OR({HubSpot ID}='1', AND({Seats}=3, NOT({Name}='x')))")).toEqual(['rec1', 'rec2']);
    expect(ids("RECORD_ID()='rec3'")).toEqual(['rec3']);
    expect(ids('TRUE()')).toHaveLength(3);
  });

  it('when the formula uses anything else, then parsing throws instead of matching everything', () => {
    expect(() => parseFormula('SEARCH("a", {Name})')).toThrow(/unsupported/);
    expect(() => parseFormula("{Name}>'a'")).toThrow(/unsupported/);
  });
});
