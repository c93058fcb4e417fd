/**
 * Phone numbers in free text, found by what libphonenumber-js validates for a region (any region
 * when written with +), and how a found one is masked. blocks/pii.ts decides where this applies.
 */
import { LRUCache } from 'lru-cache';
import { getCountries, getCountryCallingCode, Metadata, parsePhoneNumberFromString, PhoneNumber, type CountryCode } from 'libphonenumber-js/max';

export interface PhoneSpan {
  start: number;
  end: number;
  kind: 'phone';
}

export function isPhoneRegion(region: string): region is CountryCode {
  return (getCountries() as string[]).includes(region);
}

/**
 * A phone-shaped run: optional +, then digits or "(area)" groups joined by up to two of the
 * separators people write. Bounded and unambiguous, so matching is linear in the text.
 */
const PHONE_CANDIDATE = /\+?(?:\(\d{1,5}\)|\d)(?:[ \t.\-/]{0,2}(?:\(\d{1,5}\)|\d)){0,19}/g;

const isDigit = (c: number) => c >= 48 && c <= 57;

export function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (isDigit(s.charCodeAt(i))) n++;
  return n;
}

interface Plan {
  /** Digit counts a national number can be written with: its lengths, plus a trunk prefix or the calling code. */
  lengths: Set<number>;
  callingCode: string;
  /** How a national candidate can start and still be read as international by the parser: the calling code without + or the international dialling prefix. */
  international: RegExp;
}

const plans = new Map<CountryCode, Plan>();
function planOf(region: CountryCode): Plan {
  let plan = plans.get(region);
  if (!plan) {
    const md = new Metadata();
    md.selectNumberingPlan(region);
    const callingCode = getCountryCallingCode(region);
    // A one-digit trunk prefix ("0", "1") or the calling code written without +.
    const extra = [1, callingCode.length];
    const base = md.numberingPlan?.possibleLengths() ?? [];
    const idd = md.numberingPlan?.IDDPrefix();
    plan = {
      lengths: new Set([...base, ...base.flatMap((n) => extra.map((e) => n + e))]),
      callingCode,
      international: new RegExp(`^(?:${callingCode}${idd ? `|${idd}` : ''})`),
    };
    plans.set(region, plan);
  }
  return plan;
}

/** The library's check of a number in E.164 form against its calling code's main plan (~1 µs, no country detection). */
function e164Valid(e164: string): boolean {
  try {
    return new PhoneNumber(e164 as never).isValid();
  } catch {
    return false; // no such calling code, or too short to be a number
  }
}

/**
 * The full parse's verdicts per candidate and region (~4-6 µs each: it also tries every country
 * sharing the calling code), remembered across texts: amounts and dates recur on every redraw of a
 * sheet. Bounded, least recently used out. The parser refuses tabs, which people paste between groups.
 */
const parsed = new LRUCache<string, boolean>({ max: 10_000 });
function parsedValid(candidate: string, region: CountryCode): boolean {
  const key = `${region}|${candidate}`;
  let ok = parsed.get(key);
  if (ok === undefined) {
    ok = parsePhoneNumberFromString(candidate.replace(/\t/g, ' '), region)?.isValid() ?? false;
    parsed.set(key, ok);
  }
  return ok;
}

/**
 * The quick E.164 check first, the full parse only for what it refuses: a number the quick check
 * accepts the parse accepts too (test/unit/pii.test.ts checks it over every region). A national
 * candidate that starts like an international one is left to the parse, which reads it so.
 */
function check(candidate: string, region: CountryCode, digits: string): boolean {
  const plus = candidate.charCodeAt(0) === 43;
  const plan = planOf(region);
  const quick = plus || !plan.international.test(digits);
  return (quick && e164Valid(`+${plus ? '' : plan.callingCode}${digits}`)) || parsedValid(candidate, region);
}

/** True when a phone-shaped `candidate` is a number libphonenumber-js validates for `region` (any region when written with +). */
export function isValidPhone(candidate: string, region: CountryCode): boolean {
  return check(candidate, region, candidate.replace(/\D/g, ''));
}

/** Where the first digit group of a candidate ends, so the next candidate starts after it. */
function firstGroupEnd(s: string): number {
  let i = 0;
  while (i < s.length && !isDigit(s.charCodeAt(i))) i++;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return Math.max(1, i);
}

/**
 * A candidate's digit groups in one scan: each place a number of an allowed length could end (into
 * `ends`, with the digits up to there in `digitsAt`), and where its second group starts (returned:
 * the next candidate if none validates).
 */
function digitGroups(s: string, lengths: Set<number>, ends: number[], digitsAt: string[]): number {
  const plus = s.charCodeAt(0) === 43;
  let total = 0;
  let groups = 0;
  let secondStart = -1;
  let digits = '';
  ends.length = 0;
  digitsAt.length = 0;
  for (let i = 0; i < s.length; ) {
    if (!isDigit(s.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    total += i - start;
    digits += s.slice(start, i);
    if (groups === 1) secondStart = start;
    // Numbers are not written ending in a lone digit ("… (7701) 1" is the start of an amount).
    if ((plus ? total >= 8 && total <= 15 : lengths.has(total)) && (i - start > 1 || groups === 0)) {
      ends.push(i);
      digitsAt.push(digits);
    }
    groups++;
  }
  return secondStart;
}

/**
 * Phone numbers libphonenumber-js validates for the region (any region when written with +).
 * A bounded pattern picks phone-shaped runs; the parser only sees a run whose digit count the
 * region's numbering plan allows, longest first, so amounts and dates cost almost nothing.
 */
export function findPhones(text: string, region: CountryCode): PhoneSpan[] {
  const spans: PhoneSpan[] = [];
  const { lengths } = planOf(region);
  const minDigits = Math.min(8, ...lengths);
  const re = new RegExp(PHONE_CANDIDATE.source, 'g');
  // The previous candidate's verdict, so a number repeated through a text is checked once (a
  // per-text map measured ~10% slower on 100 KB of all-new numbers).
  let last = '';
  let lastOk = false;
  // Reused for every candidate: 100 KB of text can hold thousands.
  const ends: number[] = [];
  const digitsAt: string[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const s = m[0];
    const at = m.index;
    // Not inside a decimal or grouped number ("25000000.5", "1,250"): a phone does not start there.
    const before = at >= 2 ? text.charCodeAt(at - 1) : 0;
    if (((before === 46 || before === 44) && isDigit(text.charCodeAt(at - 2))) || digitCount(s) < minDigits) {
      re.lastIndex = at + firstGroupEnd(s);
      continue;
    }
    const secondStart = digitGroups(s, lengths, ends, digitsAt);
    let found = -1;
    for (let j = ends.length - 1; j >= 0 && found < 0; j--) {
      const candidate = s.slice(0, ends[j]);
      const ok: boolean = candidate === last ? lastOk : check(candidate, region, digitsAt[j] as string);
      last = candidate;
      lastOk = ok;
      if (ok) found = ends[j] as number;
    }
    if (found >= 0) {
      spans.push({ start: at, end: at + found + (s.charCodeAt(found) === 41 ? 1 : 0), kind: 'phone' });
      re.lastIndex = at + found;
    } else {
      // A number may start at the next digit group of this run.
      re.lastIndex = at + (secondStart >= 0 ? secondStart : s.length);
    }
  }
  return spans;
}

/** `+1 415 555 4567` → `+1 *** *** 4567`: the country code (when written with +) and last 4 digits stay. */
export function maskPhone(phone: string): string {
  // The last 4 digits, scanning back (a plain loop: masking runs once per number in long texts).
  let last = '';
  for (let i = phone.length - 1; i >= 0 && last.length < 4; i--) if (isDigit(phone.charCodeAt(i))) last = phone.charAt(i) + last;
  if (last.length < 4) return '***';
  const cc = phone.trimStart().startsWith('+') ? phone.trim().match(/^\+(\d{1,3})[\s.\-(]/)?.[1] : undefined;
  return `${cc ? `+${cc} ` : ''}*** *** ${last}`;
}
