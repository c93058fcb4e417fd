import { describe, expect, it } from 'vitest';
import { decodeV3Uri, verifyHubSpotSignature } from '../../../src/ingest/signature.ts';
import { signHubSpotV1, signHubSpotV2, signHubSpotV3 } from '../../helpers/signing.ts';

// HubSpot's documented examples (developers.hubspot.com/docs/api/webhooks/validating-requests; the same vectors are in the official SDKs' tests).
const DOC_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const V1_BODY =
  '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';
const V1_SIG = '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de';
const V2_BODY = '{"example_field":"example_value"}';
const V2_SIG = '9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900';
const V2_URL = 'https://www.example.com/webhook_uri';

const SECRET = 'test-client-secret';
const URL_ = 'https://orch.example.com/webhooks/hubspot';
const BODY = '[{"eventId":7,"portalId":1,"occurredAt":1700000000000,"subscriptionType":"company.creation","objectId":5}]';

function check(headers: Record<string, string>, over: Partial<{ secret: string; url: string; body: string; method: string; now: number; legacy: 'allow' | 'refuse' }> = {}) {
  return verifyHubSpotSignature({
    clientSecret: over.secret ?? SECRET,
    method: over.method ?? 'POST',
    url: over.url ?? URL_,
    body: Buffer.from(over.body ?? BODY),
    headers,
    ...(over.now ? { now: over.now } : {}),
    ...(over.legacy ? { legacy: over.legacy } : {}),
  });
}

describe('HubSpot signatures', () => {
  it("when HubSpot's documented v1 example is checked with legacy signatures allowed, then it passes", () => {
    const r = verifyHubSpotSignature({ clientSecret: DOC_SECRET, method: 'POST', url: 'https://x', body: Buffer.from(V1_BODY), headers: { 'x-hubspot-signature': V1_SIG, 'x-hubspot-signature-version': 'v1' }, legacy: 'allow' });
    expect(r).toEqual({ ok: true, version: 'v1' });
  });

  it("when HubSpot's documented v2 example is checked with legacy signatures allowed, then it passes", () => {
    const r = verifyHubSpotSignature({ clientSecret: DOC_SECRET, method: 'POST', url: V2_URL, body: Buffer.from(V2_BODY), headers: { 'x-hubspot-signature': V2_SIG, 'x-hubspot-signature-version': 'v2' }, legacy: 'allow' });
    expect(r).toEqual({ ok: true, version: 'v2' });
  });

  it('when the v1 example body is changed by one character, then it is a bad signature', () => {
    const r = verifyHubSpotSignature({ clientSecret: DOC_SECRET, method: 'POST', url: 'https://x', body: Buffer.from(V1_BODY.replace('123', '124')), headers: { 'x-hubspot-signature': V1_SIG, 'x-hubspot-signature-version': 'v1' }, legacy: 'allow' });
    expect(r).toEqual({ ok: false, reason: 'bad_signature', version: 'v1' });
  });

  it('when a request is signed v3 by the test helper, then it passes', () => {
    expect(check(signHubSpotV3({ secret: SECRET, url: URL_, body: BODY }))).toEqual({ ok: true, version: 'v3' });
  });

  it('when the v3 URL has encoded characters HubSpot decodes, then the decoded form is what is verified', () => {
    const url = 'https://orch.example.com/webhooks/hubspot?x=a%3Ab%2Fc%20d';
    expect(decodeV3Uri(url)).toBe('https://orch.example.com/webhooks/hubspot?x=a:b/c%20d');
    expect(check(signHubSpotV3({ secret: SECRET, url, body: BODY }), { url })).toEqual({ ok: true, version: 'v3' });
  });

  it.each([
    ['tampered body', { body: BODY.replace('"objectId":5', '"objectId":6') }, 'bad_signature'],
    ['wrong URL', { url: 'https://evil.example.com/webhooks/hubspot' }, 'bad_signature'],
    ['wrong secret', { secret: 'another-secret' }, 'bad_signature'],
    ['wrong method', { method: 'PUT' }, 'bad_signature'],
  ] as const)('when v3 is checked with a %s, then it is refused', (_name, over, reason) => {
    expect(check(signHubSpotV3({ secret: SECRET, url: URL_, body: BODY }), over)).toMatchObject({ ok: false, reason });
  });

  it('when the v3 timestamp is more than 5 minutes old, then it is stale', () => {
    const headers = signHubSpotV3({ secret: SECRET, url: URL_, body: BODY, timestamp: Date.now() - 301_000 });
    expect(check(headers)).toMatchObject({ ok: false, reason: 'stale_timestamp' });
  });

  it('when the v3 timestamp is 4 minutes old, then it still passes', () => {
    const headers = signHubSpotV3({ secret: SECRET, url: URL_, body: BODY, timestamp: Date.now() - 240_000 });
    expect(check(headers)).toEqual({ ok: true, version: 'v3' });
  });

  it('when the v3 timestamp header is missing or not a number, then it is refused with that reason', () => {
    const headers = signHubSpotV3({ secret: SECRET, url: URL_, body: BODY });
    const { 'x-hubspot-request-timestamp': _ts, ...noTs } = headers;
    expect(check(noTs)).toMatchObject({ ok: false, reason: 'missing_timestamp' });
    expect(check({ ...headers, 'x-hubspot-request-timestamp': 'yesterday' })).toMatchObject({ ok: false, reason: 'invalid_timestamp' });
  });

  it('when no signature header is present, then the reason is missing_signature', () => {
    expect(check({ 'content-type': 'application/json' })).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('when legacy signatures are allowed and the helper signs v1 and v2, then both pass; an unknown version does not', () => {
    expect(check(signHubSpotV1({ secret: SECRET, body: BODY }), { legacy: 'allow' })).toEqual({ ok: true, version: 'v1' });
    expect(check(signHubSpotV2({ secret: SECRET, url: URL_, body: BODY }), { legacy: 'allow' })).toEqual({ ok: true, version: 'v2' });
    expect(check({ 'x-hubspot-signature': 'abc', 'x-hubspot-signature-version': 'v9' }, { legacy: 'allow' })).toMatchObject({ ok: false, reason: 'unsupported_version' });
  });

  it('when a captured v3 request has its v3 headers stripped and only a valid v1 signature is left, then it is refused by default', () => {
    const headers = { ...signHubSpotV3({ secret: SECRET, url: URL_, body: BODY }), ...signHubSpotV1({ secret: SECRET, body: BODY }) };
    const { 'x-hubspot-signature-v3': _v3, 'x-hubspot-request-timestamp': _ts, ...downgraded } = headers;
    expect(check(downgraded)).toMatchObject({ ok: false, reason: 'legacy_signature_refused', version: 'v1', hint: expect.stringContaining('HUBSPOT_LEGACY_SIGNATURES=allow') });
    expect(check(signHubSpotV2({ secret: SECRET, url: URL_, body: BODY }), { legacy: 'refuse' })).toMatchObject({ ok: false, reason: 'legacy_signature_refused', version: 'v2' });
    // v3 is unaffected by the setting.
    expect(check(headers)).toEqual({ ok: true, version: 'v3' });
  });
});
