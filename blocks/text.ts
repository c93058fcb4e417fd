/**
 * The one way an outside value (HubSpot, Airtable, Notion, OpenAI, a user's input) becomes Slack
 * text. Every builder in blocks/ and every reply built elsewhere uses these, for blocks AND the
 * top-level `text` of messages, updates, ephemerals, DMs and modals:
 *   cut to the limit → masked (PII) → escaped (&, <, >), in that order.
 * Escaping is escapeMrkdwn (limits.ts); nothing else in the code base escapes.
 */
import { escapeMrkdwn, truncate } from './limits.ts';
import { maskValue } from './pii.ts';

export { escapeMrkdwn } from './limits.ts';

export interface SafeOptions {
  /** The HubSpot property or label the value belongs to: known PII fields are masked whole. */
  field?: string | null;
  /** false only for values that can never be personal data (ids, enums); still escaped. */
  mask?: boolean;
}

const stringify = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) ?? '' : String(v));

/** An outside value for mrkdwn (section text, fields, context, the top-level message text). */
export function safe(value: unknown, max = 3000, opts: SafeOptions = {}): string {
  const shown = opts.mask === false ? truncate(stringify(value), max) : maskValue(value, { field: opts.field ?? null, max });
  return escapeMrkdwn(shown);
}

/** An outside value for a plain_text object (header, button, modal title): cut and masked, never escaped. */
export function safePlain(value: unknown, max: number, opts: SafeOptions = {}): string {
  return opts.mask === false ? truncate(stringify(value), max) : maskValue(value, { field: opts.field ?? null, max });
}

/** An id or enum shown as text: escaped, never masked (a 10-digit HubSpot id is not a phone number). */
export function esc(value: unknown, max = 200): string {
  return safe(value, max, { mask: false });
}

const SLACK_USER = /^[UWB][A-Z0-9]{1,20}$/;

/** `<@U123>` for a real Slack user id; anything else is shown as (escaped) text, never a mention. */
export function mention(id: string | null | undefined): string {
  if (!id) return 'someone';
  return SLACK_USER.test(id) ? `<@${id}>` : escapeMrkdwn(truncate(id, 80));
}

/** A link whose URL and label cannot break out of `<url|label>`; non-http(s) URLs are shown as text. */
export function link(url: string, label: string, max = 150): string {
  if (!/^https?:\/\//i.test(url)) return safe(label, max);
  const href = url.replace(/[<>|\s]/g, (c) => encodeURIComponent(c));
  return `<${escapeMrkdwn(href)}|${safe(label, max)}>`;
}
