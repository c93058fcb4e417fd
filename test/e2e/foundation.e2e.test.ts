import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { freePort } from '../../src/db/embedded.ts';
import { startJavaMongo, type JavaMongo } from '../../src/db/java-mongo.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { neo4jUri, uniqueMongoUri } from '../helpers/db.ts';

type Ready = { status: string; dependencies: Record<string, { ok: boolean; error?: string }>; down: { name: string }[] };

async function poll<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
};

let fakes: Fakes;
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(async () => {
  await fakes.stop();
});

describe('the app process against the test bed MongoDB, Neo4j and the fakes', () => {
  let app: AppProcess;
  const db = uniqueMongoUri('e2efoundation');
  beforeAll(async () => {
    app = await startAppProcess({ fakes, mongoUri: db.uri, neo4jUri: neo4jUri(), env: { LOG_LEVEL: 'debug' } });
  });
  afterAll(async () => {
    await app?.kill();
    const client = new MongoClient(db.uri);
    await client.db(db.dbName).dropDatabase().finally(() => client.close());
  });

  it('when it has started, then /health, /ready (mongodb, slack, neo4j) and /metrics answer', async () => {
    expect((await getJson(`${app.url}/health`)).body).toMatchObject({ status: 'ok' });
    const ready = await getJson(`${app.url}/ready`);
    expect(ready.status).toBe(200);
    expect((ready.body as Ready).dependencies).toEqual({ mongodb: { ok: true }, slack: { ok: true }, neo4j: { ok: true } });
    await fetch(`${app.url}/api/x`);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/^orch_process_cpu_user_seconds_total \d/m);
    expect(metrics).toMatch(/^orch_nodejs_eventloop_lag_seconds /m);
    expect(metrics).toMatch(/^orch_api_unauthorized_total [1-9]/m);
    expect(metrics).toMatch(/^orch_http_requests_total\{route="\/ready",status="2xx"\} [1-9]/m);
    expect(metrics).toMatch(/^orch_dependency_up\{dependency="mongodb"\} 1/m);
    expect(fakes.slack.callsTo('auth.test').length).toBeGreaterThan(0);
  });

  it('when /api is called without or with a wrong token, then 401 JSON; with the token, then 404 JSON', async () => {
    const none = await getJson(`${app.url}/api/anything`);
    expect(none).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(none.type).toMatch(/application\/json/);
    const wrong = await fetch(`${app.url}/api/anything`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    const ok = await app.api('GET', '/api/anything');
    expect(ok).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it('when an unknown route is requested, then 404 JSON names it', async () => {
    const r = await getJson(`${app.url}/no/such/route`);
    expect(r).toMatchObject({ status: 404, body: { error: 'not_found', message: expect.stringContaining('/no/such/route') } });
  });

  it('when requests carrying every secret were made, then no secret appears in the log output', async () => {
    await app.api('GET', '/api/anything');
    await fetch(`${app.url}/api/x`, { headers: { authorization: `Bearer ${app.env.SLACK_BOT_TOKEN}` } });
    await app.slashCommand({ text: 'help', user_id: 'UADMIN1' });
    await app.postHubSpot([{ eventId: 1, subscriptionType: 'company.creation', objectId: 1, portalId: 1, occurredAt: Date.now(), attemptNumber: 0 }]);
    await fetch(`${app.url}/ready`);
    // A last refused request with a unique path: once its log line is captured, everything before it is too.
    const marker = `marker-${Date.now()}`;
    await fetch(`${app.url}/api/${marker}`);
    await app.waitForLog(new RegExp(marker));
    const logs = app.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const key of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'HUBSPOT_CLIENT_SECRET', 'HUBSPOT_ACCESS_TOKEN', 'ORCH_API_TOKEN', 'AIRTABLE_API_KEY', 'NOTION_TOKEN', 'OPENAI_API_KEY']) {
      const secret = app.env[key] as string;
      expect(secret, key).toMatch(/^.{8,}$/);
      expect(logs.includes(secret), `${key} leaked into the logs`).toBe(false);
    }
  });

  it('when SIGTERM is sent, then the process exits 0 within 10 s', async () => {
    const t0 = Date.now();
    const code = await app.stop('SIGTERM', 10_000);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(app.logs()).toMatch(/"stopped"/);
  });
});

describe('/ready follows MongoDB going away and coming back', () => {
  let mongo: JavaMongo;
  let app: AppProcess;
  beforeAll(async () => {
    mongo = await startJavaMongo({ heapMb: 256 });
    app = await startAppProcess({ fakes, mongoUri: `${mongo.uri}ready_e2e` });
  });
  afterAll(async () => {
    await app?.kill();
    await mongo?.stop();
  });

  it('when MongoDB stops, then /ready is 503 listing mongodb, and when it returns on the same port, then 200 again', async () => {
    const before = await getJson(`${app.url}/ready`);
    expect(before.status).toBe(200);
    expect(Object.keys((before.body as Ready).dependencies).sort()).toEqual(['mongodb', 'slack']);

    await mongo.stop();
    const down = await poll(() => getJson(`${app.url}/ready`), (r) => r.status === 503, 15_000, '/ready 503');
    expect((down.body as Ready).down.map((d) => d.name)).toEqual(['mongodb']);
    expect(down.body).toMatchObject({ status: 'unavailable', dependencies: { mongodb: { ok: false }, slack: { ok: true } } });
    expect((await getJson(`${app.url}/health`)).status).toBe(200);

    mongo = await startJavaMongo({ heapMb: 256, port: mongo.port });
    const back = await poll(() => getJson(`${app.url}/ready`), (r) => r.status === 200, 30_000, '/ready 200 again');
    expect((back.body as Ready).dependencies.mongodb).toEqual({ ok: true });
  });
});

describe('start-up failures', () => {
  it('when the configuration is invalid, then it exits 1 listing every problem without a stack trace', async () => {
    const app = await startAppProcess({
      fakes,
      mongoUri: 'not-a-mongo-uri',
      waitForHealth: false,
      env: { PUBLIC_URL: '', SLACK_BOT_TOKEN: 'not-a-bot-token', ORCH_API_TOKEN: 'short', ORCH_MODE: 'yolo' },
    });
    expect(await app.exited()).toBe(1);
    const out = app.logs();
    for (const key of ['PUBLIC_URL is missing', 'MONGODB_URI is invalid', 'SLACK_BOT_TOKEN is invalid', 'ORCH_API_TOKEN is invalid', 'ORCH_MODE is invalid']) expect(out).toContain(key);
    expect(out).not.toMatch(/^\s+at /m);
  });

  it('when the app cannot start, then startAppProcess rejects with the exit code and the last log lines', async () => {
    await expect(startAppProcess({ fakes, mongoUri: uniqueMongoUri('e2ebadstart').uri, env: { ORCH_API_TOKEN: 'short' } })).rejects.toThrow(
      /exited with 1 before \/health answered[\s\S]*ORCH_API_TOKEN is invalid/,
    );
  });

  it('when MongoDB is unreachable, then it gives up after the retry budget with one line naming the host, not the password', async () => {
    const port = await freePort();
    const app = await startAppProcess({
      fakes,
      mongoUri: `mongodb://orchuser:Sup3rSecretPw@127.0.0.1:${port}/orch`,
      waitForHealth: false,
      env: { ORCH_MONGO_RETRY_MS: '1500' },
    });
    const t0 = Date.now();
    expect(await app.exited()).toBe(1);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const out = app.logs();
    const errorLines = out.split('\n').filter((l) => l.startsWith('orch cannot start.'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain(`127.0.0.1:${port}`);
    expect(out).not.toContain('Sup3rSecretPw');
    expect(out).not.toMatch(/^\s+at /m);
  });
});
