/**
 * Masks personal data in text posted to Slack surfaces everyone can read (channels, App Home,
 * `/orch approvals|exceptions|run`, alerts). Masked by what a value IS, not what it looks like:
 * - known PII fields (`email`, `phone`, `mobilephone`, `fax` and ORCH_PII_PROPERTIES) are always masked;
 * - free text is searched for emails (a linear, length-bounded scan that accepts Unicode local
 *   parts) and for phone numbers libphonenumber-js validates for ORCH_PHONE_REGION;
 * - numbers, amounts, dates and names are never masked.
 * Everything is truncated BEFORE it is masked, so the cost depends on what is shown, not on the input.
 * Admins see raw values only through Reveal (bot/actions/pii-reveal.ts), which is audited.
 */
import { LRUCache } from 'lru-cache';
import { getCountries, getCountryCallingCode, Metadata, parsePhoneNumberFromString, PhoneNumber, type CountryCode } from 'libphonenumber-js/max';
import { truncate } from './limits.ts';

export const BASE_PII_PROPERTIES = ['email', 'phone', 'mobilephone', 'fax'] as const;

interface PiiPolicy {
  region: CountryCode;
  fields: Set<string>;
}

/** "Mobile phone" / "mobile_phone" / "mobilephone" all name the same field. */
export const fieldKey = (name: string): string => name.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

let policy: PiiPolicy = { region: 'US', fields: new Set(BASE_PII_PROPERTIES.map(fieldKey)) };

/** Set once at start from config (ORCH_PHONE_REGION, ORCH_PII_PROPERTIES); block builders stay pure. */
export function configurePii(opts: { region?: string; properties?: readonly string[] }): void {
  const region = (opts.region ?? 'US').toUpperCase();
  if (!isPhoneRegion(region)) throw new Error(`ORCH_PHONE_REGION "${opts.region}" is not a region libphonenumber-js knows (e.g. US, GB, DE)`);
  policy = { region, fields: new Set([...BASE_PII_PROPERTIES, ...(opts.properties ?? [])].map(fieldKey)) };
}

export function isPhoneRegion(region: string): region is CountryCode {
  return (getCountries() as string[]).includes(region);
}

/** True for a HubSpot property name or sheet label that holds personal data by definition. */
export function isPiiField(name: string | null | undefined): boolean {
  return !!name && policy.fields.has(fieldKey(name));
}

// ---- emails -----------------------------------------------------------------------------------

const LOCAL_MAX = 64;
const DOMAIN_MAX = 253;
const LOCAL_RE = /[\p{L}\p{N}\p{M}._%+\-!#$&'*/=?^`{|}~]/u;
const DOMAIN_RE = /[\p{L}\p{N}\p{M}.-]/u;
const ASCII_LOCAL = Array.from({ length: 128 }, (_, c) => LOCAL_RE.test(String.fromCharCode(c)));
const ASCII_DOMAIN = Array.from({ length: 128 }, (_, c) => DOMAIN_RE.test(String.fromCharCode(c)));
const isLocal = (t: string, i: number) => { const c = t.charCodeAt(i); return c < 128 ? ASCII_LOCAL[c] === true : LOCAL_RE.test(t.charAt(i)); };
const isDomain = (t: string, i: number) => { const c = t.charCodeAt(i); return c < 128 ? ASCII_DOMAIN[c] === true : DOMAIN_RE.test(t.charAt(i)); };
const DOMAIN_OK = /^(?:[\p{L}\p{N}\p{M}](?:[\p{L}\p{N}\p{M}-]{0,61}[\p{L}\p{N}\p{M}])?\.)+\p{L}[\p{L}\p{M}]{1,62}$/u;

export interface PiiSpan {
  start: number;
  end: number;
  kind: 'email' | 'phone';
}

/**
 * Emails by scanning out from each "@": at most 64 characters back and 253 forward, so the
 * work is linear in the text whatever it holds (no regex backtracking over the whole input).
 */
export function findEmails(text: string): PiiSpan[] {
  const spans: PiiSpan[] = [];
  let at = text.indexOf('@');
  let floor = 0;
  while (at !== -1) {
    let start = at;
    while (start > floor && at - start < LOCAL_MAX && isLocal(text, start - 1)) start--;
    let end = at + 1;
    while (end < text.length && end - at - 1 < DOMAIN_MAX && isDomain(text, end)) end++;
    while (end > at + 1 && /[.-]/.test(text.charAt(end - 1))) end--;
    while (start < at && text.charAt(start) === '.') start++;
    if (start < at && text.slice(at + 1, end).includes('.') && DOMAIN_OK.test(text.slice(at + 1, end))) {
      spans.push({ start, end, kind: 'email' });
      floor = end;
    }
    at = text.indexOf('@', Math.max(at + 1, floor));
  }
  return spans;
}

// ---- phones -----------------------------------------------------------------------------------

/**
 * A phone-shaped run: optional +, then digits or "(area)" groups joined by up to two of the
 * separators people write. Bounded and unambiguous, so matching is linear in the text.
 */
const PHONE_CANDIDATE = /\+?(?:\(\d{1,5}\)|\d)(?:[ \t.\-/]{0,2}(?:\(\d{1,5}\)|\d)){0,19}/g;
/**
 * The library's E.164 form of the candidate's digits, validated against its calling code's main
 * plan (~1 µs, no country detection). A number it accepts the full parse accepts too (checked over
 * random numbers in test/unit/pii.test.ts), so only the rest pay for parsing (~4-6 µs).
 */
function e164Valid(e164: string): boolean {
  try {
    return new PhoneNumber(e164 as never).isValid();
  } catch {
    return false; // no such calling code, or too short to be a number
  }
}

/**
 * Slow-path verdicts per candidate and region, remembered across texts: amounts and dates recur on
 * every redraw of a sheet. Bounded, least recently used out.
 */
const validity = new LRUCache<string, boolean>({ max: 10_000 });
function parsedValid(candidate: string, region: CountryCode): boolean {
  const key = `${region}|${candidate}`;
  let ok = validity.get(key);
  if (ok === undefined) {
    ok = parsePhoneNumberFromString(candidate, region)?.isValid() ?? false;
    validity.set(key, ok);
  }
  return ok;
}

/**
 * `last` is the previous candidate's verdict, so a number repeated through a text is validated
 * once; a per-text map measured ~10% slower on 100 KB of all-new numbers, and alternating numbers
 * cost no more than new ones.
 */
function isValidFor(candidate: string, region: CountryCode, digits: string, last: { candidate: string; ok: boolean }): boolean {
  if (last.candidate === candidate) return last.ok;
  // Accepted on the fast path: cheaper to check again than to remember across texts.
  const ok = e164Valid(`+${candidate.charCodeAt(0) === 43 ? '' : getCountryCallingCode(region)}${digits}`) || parsedValid(candidate, region);
  last.candidate = candidate;
  last.ok = ok;
  return ok;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) n++;
  return n;
}

/** Where the first digit group of a candidate ends, so the next candidate starts after it. */
function firstGroupEnd(s: string): number {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) < 48 || s.charCodeAt(i) > 57)) i++;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  return Math.max(1, i);
}

/** Digit counts a national number of the region can be written with: its lengths, plus a trunk prefix or calling code. */
const lengthsCache = new Map<CountryCode, Set<number>>();
function nationalLengths(region: CountryCode): Set<number> {
  let set = lengthsCache.get(region);
  if (!set) {
    const md = new Metadata();
    md.selectNumberingPlan(region);
    // A one-digit trunk prefix ("0", "1") or the calling code written without +.
    const extra = [1, getCountryCallingCode(region).length];
    const base = md.numberingPlan?.possibleLengths() ?? [];
    set = new Set([...base, ...base.flatMap((n) => extra.map((e) => n + e))]);
    lengthsCache.set(region, set);
  }
  return set;
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
export function findPhones(text: string, region: CountryCode = policy.region): PiiSpan[] {
  const spans: PiiSpan[] = [];
  const lengths = nationalLengths(region);
  const minDigits = Math.min(8, ...lengths);
  const re = new RegExp(PHONE_CANDIDATE.source, 'g');
  const last = { candidate: '', ok: false };
  // Reused for every candidate: 100 KB of text can hold thousands.
  const ends: number[] = [];
  const digitsAt: string[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const s = m[0];
    const at = m.index;
    // Not inside a decimal or grouped number ("25000000.5", "1,250"): a phone does not start there.
    const before = at >= 2 ? text.charCodeAt(at - 1) : 0;
    const continues = (before === 46 || before === 44) && isDigit(text.charCodeAt(at - 2));
    if (continues || digitCount(s) < minDigits) {
      re.lastIndex = at + firstGroupEnd(s);
      continue;
    }
    const secondStart = digitGroups(s, lengths, ends, digitsAt);
    let found = -1;
    for (let j = ends.length - 1; j >= 0; j--) {
      if (isValidFor(s.slice(0, ends[j]), region, digitsAt[j] as string, last)) {
        found = ends[j] as number;
        break;
      }
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

// ---- masking ----------------------------------------------------------------------------------

/** `jane.doe@acme.com` → `j***@acme.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${Array.from(email.slice(0, at))[0] ?? ''}***${email.slice(at)}`;
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

/** Every email and valid phone number in `text`, sorted and non-overlapping (emails win). */
export function findPii(text: string): PiiSpan[] {
  const emails = findEmails(text);
  const phones = findPhones(text);
  if (emails.length === 0) return phones;
  return [...emails, ...phones.filter((p) => !emails.some((e) => p.start < e.end && e.start < p.end))].sort((a, b) => a.start - b.start);
}

function applySpans(text: string, spans: PiiSpan[], cut: number): string {
  let out = '';
  let pos = 0;
  for (const s of spans) {
    if (s.start >= cut) break;
    if (s.start < pos) continue;
    out += text.slice(pos, s.start);
    const raw = text.slice(s.start, s.end);
    out += s.kind === 'email' ? maskEmail(raw) : maskPhone(raw);
    pos = s.end;
  }
  return pos < cut ? out + text.slice(pos, cut) : out;
}

/** Room after the cut so a value straddling it is still recognised (and masked, not half shown). */
const MARGIN = LOCAL_MAX + DOMAIN_MAX + 2;

/**
 * Masks emails and phone numbers in free text, keeping at most `max` characters (default: all).
 * Truncates first: only `max` + a bounded margin is ever scanned. A value cut by the limit is
 * masked whole, never shown in part.
 */
export function maskPii(text: string | null | undefined, max?: number): string {
  if (!text) return text ?? '';
  if (max === undefined || text.length <= max) return applySpans(text, findPii(text), text.length);
  const short = truncate(text, max);
  if (short === text) return applySpans(text, findPii(text), text.length);
  const keep = short.length - 1; // code units kept before the ellipsis
  const window = text.slice(0, keep + MARGIN);
  // A masked value straddling the cut is kept whole, then the (already masked) result is cut again.
  return truncate(`${applySpans(window, findPii(window), keep)}…`, max);
}

/**
 * A known PII field's value: emails keep their first letter and domain, phone and fax fields
 * their last 4 digits; anything else (e.g. a date of birth from ORCH_PII_PROPERTIES) is hidden whole.
 */
export function maskKnownField(value: unknown, field?: string | null): string {
  if (value === null || value === undefined || value === '') return '';
  const s = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  const key = fieldKey(field ?? '');
  if (s.includes('@') && (!key || key.includes('email'))) return maskEmail(s.trim());
  if ((!key || /phone|fax/.test(key)) && digitCount(s) >= 4 && /^[\d\s+().\-/]+$/.test(s)) return maskPhone(s);
  return '[hidden]';
}

/**
 * A value for display: numbers and booleans as they are (never masked), strings and objects
 * as masked free text; `field` names the property so known PII fields are masked whole.
 */
export function maskValue(value: unknown, opts: { field?: string | null; max?: number } = {}): string {
  if (value === null || value === undefined) return '';
  if (isPiiField(opts.field)) return truncate(maskKnownField(value, opts.field), opts.max ?? Number.MAX_SAFE_INTEGER);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return truncate(String(value), opts.max ?? Number.MAX_SAFE_INTEGER);
  if (typeof value === 'string') return maskPii(value, opts.max);
  return truncate(maskObjectJson(value, opts.max ?? 4000), opts.max ?? Number.MAX_SAFE_INTEGER);
}

/** Objects (e.g. intended write fields): known PII keys masked whole, strings as free text, numbers as they are. */
function maskObjectJson(value: unknown, max: number): string {
  const json = JSON.stringify(value, (key, v: unknown) => {
    if (key && isPiiField(key) && v !== null && typeof v !== 'object') return maskKnownField(v, key);
    return typeof v === 'string' ? maskPii(v, max) : v;
  });
  return json ?? '';
}

/** True when showing `value` masked hides something (the surface then offers Reveal to admins). */
export function hidesPii(value: unknown, field?: string | null): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (isPiiField(field)) return true;
  if (typeof value !== 'string' && typeof value !== 'object') return false;
  const s = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  return maskValue(value, { field: field ?? null, max: 4000 }) !== truncate(s, 4000);
}
