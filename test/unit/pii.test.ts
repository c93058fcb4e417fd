import { afterEach, describe, expect, it } from 'vitest';
import { configurePii, findEmails, hidesPii, isPiiField, maskEmail, maskPhone, maskPii, maskValue } from '../../blocks/pii.ts';

afterEach(() => configurePii({ region: 'US', properties: [] }));

describe('pii masking: the review table (issue 12)', () => {
  // Each over-masked example from the review is shown intact.
  it.each([
    ['revenue 25000000.5', '25000000.5'],
    ['a deal title', 'Q3 2024 - 250 seats'],
    ['a European date', '31.12.2024'],
    ['a European amount', '1.250.000 EUR'],
    ['a company name with numbers', 'Mirror 7701 (7701)'],
    ['an ISO timestamp, an id and counts', 'revenue 12000000, date 2024-01-31T10:00:00Z, employees 1500, id 123456789'],
  ])('when free text holds %s, then it is shown intact', (_what, text) => {
    expect(maskPii(text)).toBe(text);
  });

  // Each under-masked example is masked.
  it('when free text holds a US number written without separators, then it is masked', () => {
    expect(maskPii('call 4155554567 today')).toBe('call *** *** 4567 today');
  });
  it('when an email has a Unicode local part, then it is masked', () => {
    expect(maskPii('write to jané@acme.com')).toBe('write to j***@acme.com');
    expect(maskPii('münchen.müller@bäcker.de ok')).toBe('m***@bäcker.de ok');
  });
});

describe('pii masking: free text', () => {
  it('when free text holds emails and phones, then all are masked and the rest is kept', () => {
    const out = maskPii('Call +1 (415) 555-4567 or mail bob@x.io, owner ann@acme.co.uk');
    expect(out).toBe('Call +1 *** *** 4567 or mail b***@x.io, owner a***@acme.co.uk');
  });
  it('when numbers follow each other, then each valid one is masked', () => {
    expect(maskPii('4155554567 4155554567 (212) 555-1234')).toBe('*** *** 4567 *** *** 4567 *** *** 1234');
  });
  it('when a number is written with + for another country, then it is masked whatever the region', () => {
    expect(maskPii('London +44 20 7946 0958')).toBe('London +44 *** *** 0958');
  });
  it('when ORCH_PHONE_REGION is GB, then a national GB number is masked and a US one without + is not', () => {
    configurePii({ region: 'GB' });
    expect(maskPii('office 020 7946 0958')).toBe('office *** *** 0958');
    expect(maskPii('office 4155554567')).toBe('office 4155554567');
  });
  it('when a +1 number belongs to Canada or the Caribbean, not the US plan, then it is still masked', () => {
    expect(maskPii('Toronto +1 (416) 555-0123, Santo Domingo +1 809 555 1234')).toBe('Toronto +1 *** *** 0123, Santo Domingo +1 *** *** 1234');
    expect(maskPii('Toronto 416 555 0123')).toBe('Toronto *** *** 0123');
  });
  it('when a number is written with tabs between its groups (pasted from a sheet), then it is masked', () => {
    expect(maskPii('call 415\t555\t4567')).toBe('call *** *** 4567');
    configurePii({ region: 'GB' });
    expect(maskPii('office 020\t7946 0958')).toBe('office *** *** 0958');
  });
  it('when something only looks like an email, then it is left alone', () => {
    expect(maskPii('x@y and a@b.c and @handle')).toBe('x@y and a@b.c and @handle');
  });
  it('when text is cut to a limit, then a value straddling the cut is masked whole, never shown in part', () => {
    expect(maskPii('hello jane.doe@acme.com world', 12)).toBe('hello j***@…');
    expect(maskPii('call 415 555 4567 now', 10)).toBe('call *** …');
    expect(maskPii('call 415 555 4567 now', 10)).not.toMatch(/415|555/);
  });
  it('when a string of 100k "a@" pairs is scanned, then it finds nothing and returns at once', () => {
    expect(findEmails('a@'.repeat(50_000))).toEqual([]);
  });
});

describe('pii masking: by field', () => {
  it('when a value sits in a known PII field, then it is masked whatever it looks like', () => {
    expect(maskValue('jane@acme.com', { field: 'email' })).toBe('j***@acme.com');
    expect(maskValue('555 4567', { field: 'phone' })).toBe('*** *** 4567');
    expect(maskValue(4155554567, { field: 'mobilephone' })).toBe('*** *** 4567');
    expect(maskValue('ask reception', { field: 'fax' })).toBe('[hidden]');
    expect(isPiiField('Mobile phone')).toBe(true);
  });
  it('when ORCH_PII_PROPERTIES lists a property, then it is masked whole', () => {
    configurePii({ region: 'US', properties: ['date_of_birth'] });
    expect(maskValue('1985-04-12', { field: 'date_of_birth' })).toBe('[hidden]');
    expect(hidesPii('1985-04-12', 'date_of_birth')).toBe(true);
  });
  it('when a value is a number, then it is never masked outside PII fields', () => {
    expect(maskValue(4155554567)).toBe('4155554567');
    expect(maskValue(25000000.5, { field: 'annualrevenue' })).toBe('25000000.5');
  });
  it('when an object holds PII keys and free text, then those are masked and its numbers are not', () => {
    expect(maskValue({ email: 'joe@acme.com', note: 'call 4155554567', amount: 4155554567 })).toBe('{"email":"j***@acme.com","note":"call *** *** 4567","amount":4155554567}');
    expect(maskValue(null)).toBe('');
    expect(maskPii(undefined)).toBe('');
  });
  it('when nothing personal is shown, then hidesPii says so (no Reveal button)', () => {
    expect(hidesPii('Acme Corp', 'name')).toBe(false);
    expect(hidesPii('call 4155554567', 'notes')).toBe(true);
  });
  it('keeps the hints people use to tell values apart', () => {
    expect(maskEmail('jane.doe@acme.com')).toBe('j***@acme.com');
    expect(maskPhone('+1 415 555 4567')).toBe('+1 *** *** 4567');
    expect(maskPhone('(415) 555-4567')).toBe('*** *** 4567');
  });
  it('when the region is unknown, then configuring fails with a clear message', () => {
    expect(() => configurePii({ region: 'XX' })).toThrow(/ORCH_PHONE_REGION "XX"/);
  });
});
