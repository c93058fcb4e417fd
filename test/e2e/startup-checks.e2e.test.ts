import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.ts';
import { configWarnings } from '../../src/startup-checks.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { startAppProcess } from '../helpers/app-process.ts';
import { uniqueMongoUri } from '../helpers/db.ts';

let fakes: Fakes;
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(async () => {
  await fakes.stop();
});

describe('start-up checks a new user meets', () => {
  it('when Slack refuses SLACK_BOT_TOKEN, then the start stops with one line naming the variable and the fix, no stack trace', async () => {
    fakes.slack.inject({ match: 'auth.test', status: 200, body: { ok: false, error: 'invalid_auth' }, times: Infinity });
    try {
      const app = await startAppProcess({ fakes, mongoUri: uniqueMongoUri('e2eslacktoken').uri, waitForHealth: false });
      expect(await app.exited()).toBe(1);
      const out = app.logs();
      expect(out).toContain('SLACK_BOT_TOKEN was refused by Slack (invalid_auth): copy the Bot User OAuth Token');
      expect(out).not.toMatch(/^\s+at /m);
      expect(out).not.toContain('WebAPIPlatformError');
    } finally {
      fakes.slack.reset();
    }
  });

  it('when HubSpot refuses HUBSPOT_ACCESS_TOKEN, then the start stops with one line naming the variable and where the token is', async () => {
    fakes.hubspot.inject({ match: 'GET /crm/v3/objects/companies', status: 401, times: Infinity });
    try {
      const app = await startAppProcess({ fakes, mongoUri: uniqueMongoUri('e2ehubspottoken').uri, waitForHealth: false });
      expect(await app.exited()).toBe(1);
      expect(app.logs()).toContain('HUBSPOT_ACCESS_TOKEN was refused by HubSpot (401): copy the access token of your private app');
      expect(app.logs()).not.toMatch(/^\s+at /m);
    } finally {
      fakes.hubspot.reset();
    }
  });

  it('when Slack and HubSpot cannot be reached and PUBLIC_URL is http:// on a real host, then it starts with one warning for each; /metrics moves to ORCH_METRICS_PORT', async () => {
    const metricsPort = await freePort();
    const app = await startAppProcess({
      fakes,
      mongoUri: uniqueMongoUri('e2eoffline').uri,
      env: { SLACK_API_URL: `http://127.0.0.1:${await freePort()}/api/`, HUBSPOT_API_URL: `http://127.0.0.1:${await freePort()}`, PUBLIC_URL: 'http://orch.acme-ops.com', ORCH_METRICS_PORT: String(metricsPort), ORCH_METRICS_HOST: '127.0.0.1' },
    });
    try {
      expect((await fetch(`${app.url}/health`)).status).toBe(200);
      const logs = app.logs();
      expect(logs).toMatch(/"level":"warn"[^\n]*Slack could not be reached to check SLACK_BOT_TOKEN/);
      // One line for it, not the client's own request-failure line too.
      expect(logs).not.toContain('http request failed');
      expect(logs).toMatch(/"level":"warn"[^\n]*PUBLIC_URL is http:\/\/ \(http:\/\/orch\.acme-ops\.com\)/);
      expect(logs).toMatch(/"level":"warn"[^\n]*HubSpot could not be reached to check HUBSPOT_ACCESS_TOKEN/);
      expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('orch_');
      // A list asked for more than a page holds is refused with the range, not silently cut.
      const tooMany = await app.api<{ error: string; message: string }>('GET', '/api/runs?limit=500');
      expect(tooMany.status).toBe(400);
      expect(tooMany.body).toMatchObject({ error: 'invalid_limit' });
    } finally {
      await app.stop();
    }
  });
});

describe('configWarnings', () => {
  it('when PUBLIC_URL is http:// on localhost or a loopback address, then nothing is said; https never warns', () => {
    for (const url of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000', 'http://orch.localhost', 'https://orch.acme-ops.com']) {
      expect(configWarnings({ PUBLIC_URL: url, ORCH_MODE: 'dry-run' }), url).toEqual([]);
    }
    expect(configWarnings({ PUBLIC_URL: 'http://10.0.0.5:3000', ORCH_MODE: 'dry-run' })).toHaveLength(1);
  });
});
