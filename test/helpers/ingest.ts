import { signHubSpotV1, signHubSpotV3 } from './signing.ts';

/** A HubSpot propertyChange event as HubSpot sends it. */
export function propertyChange(objectType: string, objectId: number | string, propertyName: string, propertyValue: string, over: Record<string, unknown> = {}) {
  return {
    eventId: Math.floor(Math.random() * 1e9),
    subscriptionId: 4849549,
    portalId: 62515,
    appId: 25681700,
    occurredAt: Date.now(),
    subscriptionType: `${objectType}.propertyChange`,
    attemptNumber: 0,
    objectId: Number(objectId),
    propertyName,
    propertyValue,
    changeSource: 'CRM_UI',
    ...over,
  };
}

export function creation(objectType: string, objectId: number | string, over: Record<string, unknown> = {}) {
  return {
    eventId: Math.floor(Math.random() * 1e9),
    subscriptionId: 4849550,
    portalId: 62515,
    appId: 25681700,
    occurredAt: Date.now(),
    subscriptionType: `${objectType}.creation`,
    attemptNumber: 0,
    objectId: Number(objectId),
    changeFlag: 'CREATED',
    changeSource: 'CRM_UI',
    ...over,
  };
}

export interface PostOptions {
  sign?: 'v3' | 'v1' | 'none';
  timestamp?: number;
  secret?: string;
  /** The URL the signature covers (PUBLIC_URL + path); defaults to the one given to poster(). */
  signedUrl?: string;
}

/** POSTs a signed batch to `${baseUrl}/webhooks/hubspot` the way HubSpot does. */
export function hubspotPoster(baseUrl: string, publicUrl: string, secret: string) {
  return async (events: unknown[] | string, opts: PostOptions = {}) => {
    const body = typeof events === 'string' ? events : JSON.stringify(events);
    const url = opts.signedUrl ?? `${publicUrl}/webhooks/hubspot`;
    const s = opts.secret ?? secret;
    const headers =
      opts.sign === 'none'
        ? { 'content-type': 'application/json' }
        : opts.sign === 'v1'
          ? signHubSpotV1({ secret: s, body })
          : signHubSpotV3({ secret: s, url, body, ...(opts.timestamp ? { timestamp: opts.timestamp } : {}) });
    const res = await fetch(`${baseUrl}/webhooks/hubspot`, { method: 'POST', headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, body: json as Record<string, unknown> };
  };
}

/** Polls until check() returns a truthy value (no fixed sleeps). */
export async function until<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
