/**
 * Masks personal data in text posted to Slack surfaces everyone can read (channels, App Home,
 * `/orch approvals|exceptions|run`, alerts). Masked by what a value IS, not what it looks like:
 * - known PII fields (`email`, `phone`, `mobilephone`, `fax` and ORCH_PII_PROPERTIES) are always masked;
 * - free text is searched for emails (a linear, length-bounded scan that accepts Unicode local
 *   parts) and for phone numbers libphonenumber-js validates for ORCH_PHONE_REGION (blocks/phones.ts);
 * - numbers, amounts, dates and names are never masked.
 * Everything is truncated BEFORE it is masked, so the cost depends on what is shown, not on the input.
 * Admins see raw values only through Reveal (bot/actions/pii-reveal.ts), which is audited.
 */
import type { CountryCode } from 'libphonenumber-js/max';
import { truncate } from './limits.ts';
import { digitCount, findPhones, isPhoneRegion, maskPhone } from './phones.ts';

export { isPhoneRegion, maskPhone };

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

// ---- masking ----------------------------------------------------------------------------------

/** `jane.doe@acme.com` → `j***@acme.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${Array.from(email.slice(0, at))[0] ?? ''}***${email.slice(at)}`;
}

/** Every email and valid phone number in `text`, sorted and non-overlapping (emails win). */
export function findPii(text: string): PiiSpan[] {
  const emails = findEmails(text);
  const phones = findPhones(text, policy.region);
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
