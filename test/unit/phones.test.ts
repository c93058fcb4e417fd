import { getCountries, getCountryCallingCode, getExampleNumber, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile.json';
import { describe, expect, it } from 'vitest';
import { findPhones, isValidPhone } from '../../blocks/phones.ts';

/** What the full parse says: the verdict the quick E.164 check must never contradict. */
const parserSays = (candidate: string, region: CountryCode) => parsePhoneNumberFromString(candidate.replace(/\t/g, ' '), region)?.isValid() ?? false;

/** A seeded 32-bit generator: the same numbers on every run. */
function generator(seed: number) {
  let x = seed >>> 0;
  return (n: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return (x >>> 8) % n;
  };
}

describe('phone numbers: the quick check agrees with the parser', () => {
  it('when numbers across the +1 plan are written, then exactly those the parser validates are found', () => {
    const next = generator(12345);
    let valid = 0;
    for (let i = 0; i < 3000; i++) {
      // US, Canadian, Caribbean and unassigned area codes and exchanges, written both ways.
      const digits = `${200 + next(800)}${String(next(1000)).padStart(3, '0')}${String(next(10_000)).padStart(4, '0')}`;
      const written = i % 2 ? `+1 (${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}` : digits;
      const expected = parserSays(written, 'US');
      if (expected) valid++;
      expect([written, findPhones(written, 'US').length === 1]).toEqual([written, expected]);
    }
    // Both verdicts occur often enough for the comparison to mean something.
    expect(valid).toBeGreaterThan(500);
    expect(valid).toBeLessThan(2900);
  });

  it("when every region's numbers are written the ways people write them, then the verdict is the parser's", () => {
    const next = generator(7);
    const digits = (n: number) => Array.from({ length: n }, () => next(10)).join('');
    let checked = 0;
    for (const region of getCountries()) {
      const example = getExampleNumber(region, examples as never);
      const cc = getCountryCallingCode(region);
      for (let i = 0; i < 12; i++) {
        const nat = example ? example.nationalNumber.slice(0, -4) + digits(4) : digits(9);
        const pn = parsePhoneNumberFromString(`+${cc}${nat}`);
        const forms = [
          pn?.formatInternational() ?? `+${cc} ${nat}`,
          pn?.formatNational() ?? nat,
          nat,
          `${cc}${nat}`, // the calling code without +
          `00${cc}${nat}`, // an international dialling prefix
          `810${nat}`,
          `${nat.slice(0, 3)}\t${nat.slice(3)}`,
          digits(6 + next(10)),
        ];
        for (const raw of forms) {
          const candidate = raw.replace(/[^\d+() \t.\-/]/g, '');
          expect([region, candidate, isValidPhone(candidate, region)]).toEqual([region, candidate, parserSays(candidate, region)]);
          checked++;
        }
      }
    }
    expect(checked).toBe(getCountries().length * 12 * 8);
  });

  it('when a national number starts like an international one (Belarus 8 10, Åland 358, Tristan da Cunha 290), then the parser decides', () => {
    for (const [candidate, region] of [['810200-00-00', 'BY'], ['35820822', 'AX'], ['29072', 'TA']] as const) {
      expect(isValidPhone(candidate, region)).toBe(parserSays(candidate, region));
    }
  });
});
