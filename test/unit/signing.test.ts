import { describe, expect, it } from 'vitest';
import { Signature } from '@hubspot/api-client';
import { isValidSlackRequest } from '@slack/bolt';
import { hubspotV3Uri, signHubSpotV1, signHubSpotV2, signHubSpotV3, signSlack } from '../helpers/signing.ts';

// HubSpot's documented examples ("Validating requests", v1 and v2 pages).
const DOC_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const DOC_V1_BODY =
  '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]';

describe('HubSpot signatures', () => {
  it("when the v1 documentation example is signed, then the signature is HubSpot's documented hash", () => {
    const h = signHubSpotV1({ secret: DOC_SECRET, body: DOC_V1_BODY });
    expect(h['x-hubspot-signature']).toBe('232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de');
    expect(h['x-hubspot-signature-version']).toBe('v1');
  });

  it("when the v2 GET documentation example is signed, then the signature is HubSpot's documented hash", () => {
    const h = signHubSpotV2({ secret: DOC_SECRET, method: 'GET', url: 'https://www.example.com/webhook_uri', body: '' });
    expect(h['x-hubspot-signature']).toBe('eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e');
  });

  it('when the v2 POST documentation example is signed, then it matches the documented hash prefix and suffix', () => {
    const h = signHubSpotV2({ secret: DOC_SECRET, url: 'https://www.example.com/webhook_uri', body: '{"example_field":"example_value"}' });
    expect(h['x-hubspot-signature']).toMatch(/^9569219f[0-9a-f]{50}af7900$/);
  });

  it('when a v3 signature is made, then the official SDK accepts it, and rejects it for another body or URL', () => {
    const body = '[{"objectId":1,"subscriptionType":"company.creation"}]';
    const url = 'https://orch.example.com/webhooks/hubspot?x=1';
    const timestamp = Date.now();
    const h = signHubSpotV3({ secret: 'shh-secret', url, body, timestamp });
    const check = (b: string, u: string) =>
      Signature.isValid({ signatureVersion: 'v3', signature: h['x-hubspot-signature-v3'] as string, clientSecret: 'shh-secret', requestBody: b, url: u, method: 'POST', timestamp });
    expect(check(body, url)).toBe(true);
    expect(check(body.replace('1', '2'), url)).toBe(false);
    expect(check(body, url.replace('x=1', 'x=2'))).toBe(false);
    expect(h['x-hubspot-request-timestamp']).toBe(String(timestamp));
  });

  it('when v1 and v2 signatures are made, then the official SDK accepts them', () => {
    const body = '{"a":"é ✓"}';
    const url = 'https://orch.example.com/hook';
    const v1 = signHubSpotV1({ secret: 's3cret', body });
    const v2 = signHubSpotV2({ secret: 's3cret', url, body });
    expect(Signature.isValid({ signatureVersion: 'v1', signature: v1['x-hubspot-signature'] as string, clientSecret: 's3cret', requestBody: body })).toBe(true);
    expect(Signature.isValid({ signatureVersion: 'v2', signature: v2['x-hubspot-signature'] as string, clientSecret: 's3cret', requestBody: body, url, method: 'POST' })).toBe(true);
  });

  it('when the URI has encoded reserved characters, then only the documented ones are decoded', () => {
    expect(hubspotV3Uri('https://h/p%3Aa%2Fb%3Fc%40d%21%24%27%28%29%2A%2C%3B?q=%20%2B')).toBe("https://h/p:a/b?c@d!$'()*,;?q=%20%2B");
  });
});

describe('Slack signatures', () => {
  it('when a body is signed, then Bolt verifies it, and refuses a changed body or an old timestamp', () => {
    const body = 'token=x&command=%2Forch&text=runs';
    const headers = signSlack({ signingSecret: 'slack-secret', body });
    const ok = (b: string, h: Record<string, string>) =>
      isValidSlackRequest({ signingSecret: 'slack-secret', body: b, headers: { 'x-slack-signature': h['x-slack-signature'] as string, 'x-slack-request-timestamp': Number(h['x-slack-request-timestamp']) } });
    expect(ok(body, headers)).toBe(true);
    expect(ok(`${body}x`, headers)).toBe(false);
    const old = signSlack({ signingSecret: 'slack-secret', body, timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(ok(body, old)).toBe(false);
  });
});
