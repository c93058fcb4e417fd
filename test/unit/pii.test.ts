import { describe, expect, it } from 'vitest';
import { maskEmail, maskPhone, maskPii, maskValue } from '../../blocks/pii.ts';

describe('pii masking', () => {
  it('when an email is masked, then only the first letter of the local part stays', () => {
    expect(maskEmail('jane.doe@acme.com')).toBe('j***@acme.com');
  });
  it('when a phone with a country code is masked, then the code and last 4 digits stay', () => {
    expect(maskPhone('+1 415 555 4567')).toBe('+1 *** *** 4567');
    expect(maskPhone('+44 20 7946 0958')).toBe('+44 *** *** 0958');
  });
  it('when a phone has no country code, then only the last 4 digits stay', () => {
    expect(maskPhone('(415) 555-4567')).toBe('*** *** 4567');
  });
  it('when free text holds emails and phones, then all are masked and the rest is kept', () => {
    const out = maskPii('Call +1 (415) 555-4567 or mail bob@x.io, owner ann@acme.co.uk');
    expect(out).toBe('Call +1 *** *** 4567 or mail b***@x.io, owner a***@acme.co.uk');
    expect(out).not.toContain('bob@');
  });
  it('when text holds amounts, dates and ids, then they are not mistaken for phones', () => {
    const s = 'revenue 12000000, date 2024-01-31T10:00:00Z, employees 1500, id 123456789';
    expect(maskPii(s)).toBe(s);
  });
  it('when values are not strings, then they are stringified and masked', () => {
    expect(maskValue({ email: 'joe@acme.com' })).toBe('{"email":"j***@acme.com"}');
    expect(maskValue(null)).toBe('');
    expect(maskPii(undefined)).toBe('');
  });
});
