import { describe, expect, it } from 'vitest';
import { normalizeDomain } from '../../src/domain.ts';
import { normalizeCompany } from '../../workflows/company-intake.ts';
import { fromMirrorFields, toMirrorFields } from '../../src/reconcile/mirror-fields.ts';
import { compareAll } from '../../src/reconcile/compare.ts';

/** HubSpot `domain` values as users type them, and the one domain orch shows, writes and compares. */
const CASES: [input: string | null, expected: string | null][] = [
  ['https://www.acme-bank.com/about', 'acme-bank.com'],
  ['HTTPS://WWW.Acme-Bank.COM/', 'acme-bank.com'],
  ['acme-bank.com', 'acme-bank.com'],
  ['www.acme-bank.com', 'acme-bank.com'],
  ['http://acme-bank.com:8080/path?q=1#top', 'acme-bank.com'],
  ['acme-bank.com/about/team', 'acme-bank.com'],
  ['acme-bank.com.', 'acme-bank.com'],
  ['  acme-bank.com  ', 'acme-bank.com'],
  ['//acme-bank.com/x', 'acme-bank.com'],
  ['ftp://files.acme-bank.com', 'files.acme-bank.com'],
  ['https://user:pw@acme-bank.com/', 'acme-bank.com'],
  ['shop.acme-bank.co.uk/?ref=x', 'shop.acme-bank.co.uk'],
  ['https://xn--bcher-kva.de/', 'bücher.de'],
  ['Bücher.de', 'bücher.de'],
  ['', null],
  ['   ', null],
  [null, null],
];

describe('one domain normalizer for the sheet, the mirror write and reconciliation', () => {
  it.each(CASES)('when HubSpot holds %j, then the sheet shows, the write sets and reconciliation compares %j', (input, expected) => {
    const properties = { name: 'Acme Bank', domain: input };
    // What the approval sheet shows (its Domain fact comes from the normalized company).
    const shown = normalizeCompany('101', properties).domain;
    // What the intended Airtable write sets (the same map the mirror write uses).
    const written = toMirrorFields('101', properties).Domain;
    expect(shown).toBe(expected);
    expect(written).toBe(expected);
    expect(normalizeDomain(input)).toBe(expected);
    // Reconciliation reads back the written row and compares it with HubSpot: no drift.
    const row = { id: 'rec1', fields: { ...toMirrorFields('101', properties) } };
    expect(fromMirrorFields(row.fields).Domain).toBe(expected);
    expect(compareAll([{ id: '101', properties }], [row]).filter((f) => f.type === 'field_drift')).toEqual([]);
  });

  it('when the mirror holds the raw URL the sheet normalized, then reconciliation sees no drift either', () => {
    const properties = { name: 'Acme Bank', domain: 'https://www.acme-bank.com/about' };
    const row = { id: 'rec1', fields: { ...toMirrorFields('101', properties), Domain: 'acme-bank.com/about' } };
    expect(compareAll([{ id: '101', properties }], [row]).filter((f) => f.type === 'field_drift')).toEqual([]);
  });

  it('when only website is set, then the sheet shows no domain, as nothing is written', () => {
    const properties = { name: 'Acme', website: 'https://acme.com' };
    expect(normalizeCompany('1', properties).domain).toBeNull();
    expect(toMirrorFields('1', properties).Domain).toBeNull();
  });
});
