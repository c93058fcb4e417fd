/**
 * Masks personal data (emails, phone numbers) in text posted to shared channels.
 * DMs to admins and the details modal may show raw values; channel messages must not.
 */

const EMAIL_RE = /([A-Za-z0-9._%+-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
// A phone-like run: optional +, then digits with spaces, dots, dashes or parentheses, 7–15 digits in all.
const PHONE_RE = /(\+?\(?\d[\d\s().-]{5,}\d)/g;

/** `jane.doe@acme.com` → `j***@acme.com`. */
export function maskEmail(email: string): string {
  return email.replace(EMAIL_RE, (_m, local: string, domain: string) => `${local.charAt(0)}***@${domain}`);
}

/**
 * `+1 415 555 4567` → `+1 *** *** 4567`: keeps the country code (when written with +)
 * and the last 4 digits, so a human can still tell numbers apart.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return phone;
  const last4 = digits.slice(-4);
  const cc = phone.trim().startsWith('+') ? phone.trim().match(/^\+(\d{1,3})[\s.-]/)?.[1] : undefined;
  return cc ? `+${cc} *** *** ${last4}` : `*** *** ${last4}`;
}

/** Masks every email and phone number found in free text. */
export function maskPii(text: string | null | undefined): string {
  if (!text) return text ?? '';
  const withEmails = text.replace(EMAIL_RE, (m) => maskEmail(m));
  return withEmails.replace(PHONE_RE, (m) => {
    const digits = m.replace(/\D/g, '');
    // Dates (2024-01-31), ISO timestamps and plain amounts are not phones: require 7–15 digits
    // and at least one separator or a leading + (so "12000000" revenue is left alone).
    if (digits.length < 7 || digits.length > 15) return m;
    if (!/^\+/.test(m) && !/[\s().-]/.test(m)) return m;
    if (/^\d{4}-\d{2}-\d{2}/.test(m)) return m;
    return maskPhone(m);
  });
}

/** Masks a value of any type for display (strings masked, others stringified first). */
export function maskValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return maskPii(s);
}
