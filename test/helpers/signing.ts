import { createHash, createHmac } from 'node:crypto';

/**
 * Request signatures exactly as HubSpot and Slack compute them (REFERENCE.md §1, §2), so tests can
 * send requests the app must accept, and tamper with one part to get requests it must refuse.
 */

/** HubSpot v3 decodes only these escapes in the URI before signing. */
const HUBSPOT_URI_DECODE: Record<string, string> = {
  '%3A': ':', '%2F': '/', '%3F': '?', '%40': '@', '%21': '!', '%24': '$',
  '%27': "'", '%28': '(', '%29': ')', '%2A': '*', '%2C': ',', '%3B': ';',
};

export function hubspotV3Uri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => HUBSPOT_URI_DECODE[m.toUpperCase()] ?? m);
}

export interface HubSpotV3Input {
  secret: string;
  method?: string;
  /** The full URL HubSpot posts to, scheme and host included (the app's PUBLIC_URL + path). */
  url: string;
  body: string;
  /** Epoch milliseconds; default now. */
  timestamp?: number;
}

/** base64(HMAC-SHA256(secret, method + uri + body + timestamp)), timestamp in ms. */
export function signHubSpotV3(input: HubSpotV3Input): Record<string, string> {
  const timestamp = input.timestamp ?? Date.now();
  const source = `${input.method ?? 'POST'}${hubspotV3Uri(input.url)}${input.body}${timestamp}`;
  const signature = createHmac('sha256', input.secret).update(source, 'utf8').digest('base64');
  return {
    'content-type': 'application/json',
    'x-hubspot-signature-v3': signature,
    'x-hubspot-request-timestamp': String(timestamp),
  };
}

/** v1: hex sha256(secret + body); sent by legacy webhook subscriptions. */
export function signHubSpotV1(input: { secret: string; body: string }): Record<string, string> {
  const signature = createHash('sha256').update(`${input.secret}${input.body}`, 'utf8').digest('hex');
  return { 'content-type': 'application/json', 'x-hubspot-signature': signature, 'x-hubspot-signature-version': 'v1' };
}

/** v2: hex sha256(secret + method + uri + body); sent by workflow actions and CRM cards. */
export function signHubSpotV2(input: { secret: string; method?: string; url: string; body: string }): Record<string, string> {
  const source = `${input.secret}${input.method ?? 'POST'}${input.url}${input.body}`;
  const signature = createHash('sha256').update(source, 'utf8').digest('hex');
  return { 'content-type': 'application/json', 'x-hubspot-signature': signature, 'x-hubspot-signature-version': 'v2' };
}

/** Slack v0: 'v0=' + hex(HMAC-SHA256(signingSecret, 'v0:' + ts + ':' + rawBody)), ts in seconds. */
export function signSlack(input: { signingSecret: string; body: string; timestamp?: number }): Record<string, string> {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', input.signingSecret).update(`v0:${timestamp}:${input.body}`, 'utf8').digest('hex');
  return { 'x-slack-signature': `v0=${signature}`, 'x-slack-request-timestamp': String(timestamp) };
}
