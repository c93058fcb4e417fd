import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** HubSpot allows 5 minutes between signing and checking (REFERENCE.md §1). */
export const MAX_SIGNATURE_AGE_MS = 300_000;

export type SignatureReason =
  | 'missing_signature'
  | 'missing_timestamp'
  | 'invalid_timestamp'
  | 'stale_timestamp'
  | 'unsupported_version'
  | 'legacy_signature_refused'
  | 'bad_signature';

/** `hint` says what most likely went wrong, for the answer and the log line (e.g. a timestamp in seconds). */
export type SignatureResult = { ok: true; version: 'v1' | 'v2' | 'v3' } | { ok: false; reason: SignatureReason; version?: string; hint?: string };

export interface SignatureInput {
  clientSecret: string;
  method: string;
  /** Full URL as HubSpot called it: scheme, host, path and query. */
  url: string;
  body: Buffer | string;
  /** Lower-cased header names, as node gives them. */
  headers: Record<string, string | string[] | undefined>;
  now?: number;
  /**
   * v1/v2 signatures carry no timestamp (and v1 not even the URL): a captured request verifies
   * forever. Refused unless HUBSPOT_LEGACY_SIGNATURES=allow (apps HubSpot still signs that way).
   */
  legacy?: 'allow' | 'refuse';
}

// HubSpot decodes only these escapes before signing v3 (REFERENCE.md §1); everything else stays as sent.
const V3_DECODES: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$',
  '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

export function decodeV3Uri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => V3_DECODES[m.toUpperCase()] ?? m);
}

function header(headers: SignatureInput['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time comparison of two strings of possibly different length. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

export function signV3(secret: string, method: string, url: string, body: Buffer | string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${method}${decodeV3Uri(url)}`).update(body).update(timestamp).digest('base64');
}

export function signV1(secret: string, body: Buffer | string): string {
  return createHash('sha256').update(secret).update(body).digest('hex');
}

export function signV2(secret: string, method: string, url: string, body: Buffer | string): string {
  return createHash('sha256').update(`${secret}${method}${url}`).update(body).digest('hex');
}

/** v3 when its header is present; otherwise the legacy v1/v2 header with its version, only if allowed. */
export function verifyHubSpotSignature(input: SignatureInput): SignatureResult {
  const v3 = header(input.headers, 'x-hubspot-signature-v3');
  if (v3 !== undefined) return verifyV3(input, v3);
  const legacy = header(input.headers, 'x-hubspot-signature');
  if (legacy === undefined) return { ok: false, reason: 'missing_signature' };
  const version = (header(input.headers, 'x-hubspot-signature-version') ?? 'v1').toLowerCase();
  if (input.legacy !== 'allow') {
    return { ok: false, reason: 'legacy_signature_refused', version, hint: 'only v3 signatures (X-HubSpot-Signature-v3 with a timestamp) are accepted; set HUBSPOT_LEGACY_SIGNATURES=allow for an app HubSpot still signs with v1/v2 (see docs/security.md)' };
  }
  if (version === 'v1') {
    return safeEqual(signV1(input.clientSecret, input.body), legacy.toLowerCase()) ? { ok: true, version: 'v1' } : { ok: false, reason: 'bad_signature', version };
  }
  if (version === 'v2') {
    const expected = signV2(input.clientSecret, input.method.toUpperCase(), input.url, input.body);
    return safeEqual(expected, legacy.toLowerCase()) ? { ok: true, version: 'v2' } : { ok: false, reason: 'bad_signature', version };
  }
  return { ok: false, reason: 'unsupported_version', version };
}

function verifyV3(input: SignatureInput, signature: string): SignatureResult {
  const ts = header(input.headers, 'x-hubspot-request-timestamp');
  if (ts === undefined || ts === '') return { ok: false, reason: 'missing_timestamp', version: 'v3' };
  if (!/^\d{1,16}$/.test(ts)) return { ok: false, reason: 'invalid_timestamp', version: 'v3' };
  const now = input.now ?? Date.now();
  // Old timestamps are replays; far-future ones are as suspicious (a clock skew window both ways).
  if (Math.abs(now - Number(ts)) > MAX_SIGNATURE_AGE_MS) return { ok: false, reason: 'stale_timestamp', version: 'v3', ...secondsHint(Number(ts), now) };
  const expected = signV3(input.clientSecret, input.method.toUpperCase(), input.url, input.body, ts);
  return safeEqual(expected, signature) ? { ok: true, version: 'v3' } : { ok: false, reason: 'bad_signature', version: 'v3' };
}

/** A timestamp within the window once read as seconds was sent in the wrong unit: say so. */
function secondsHint(ts: number, now: number): { hint?: string } {
  if (Math.abs(now - ts * 1000) > MAX_SIGNATURE_AGE_MS) return {};
  return { hint: 'X-HubSpot-Request-Timestamp looks like seconds; HubSpot sends (and signs) milliseconds since the epoch' };
}
