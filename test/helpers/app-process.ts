import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { freePort } from '../../src/db/embedded.ts';
import type { Fakes } from '../fakes/index.ts';
import { signHubSpotV1, signHubSpotV3, signSlack } from './signing.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The app needs Node ≥ 22 (type stripping); the machine's node is older, node_modules/.bin has 24. */
const NODE = Number(process.versions.node.split('.')[0]) >= 22 ? process.execPath : path.join(ROOT, 'node_modules/.bin/node');
/** Inherited from the test runner; everything else the app sees is set here, so .env and the shell cannot leak in. */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'XDG_CACHE_HOME', 'ORCH_TESTBED_CACHE'];
const MAX_LOG_LINES = 20_000;
/** Makes the app exit when this process dies, whatever kills it (see the file). */
const EXIT_WITH_PARENT = path.join(ROOT, 'test/helpers/exit-with-parent.ts');

export interface AppResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}
export interface AppProcessOptions {
  fakes: Fakes;
  mongoUri: string;
  neo4jUri?: string;
  /** Extra or overriding env vars; a value of '' removes a variable. */
  env?: Record<string, string>;
  startTimeoutMs?: number;
  /** false: return without waiting for /health (for tests of failing starts; use exited()). */
  waitForHealth?: boolean;
  /** The script to run, relative to the repository (default src/main.ts; e.g. a build's dist/src/main.js). */
  entry?: string;
}
export interface AppProcess {
  url: string;
  port: number;
  env: Record<string, string>;
  logs(): string;
  /** The current process's pid (it changes on restart()). */
  pid(): number | undefined;
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the current process has exited (signal deaths map to 128+n). */
  exited(): Promise<number>;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
  kill(): Promise<number>;
  restart(): Promise<void>;
  /** A call to /api/*, with ORCH_API_TOKEN unless another Bearer token is given ('' = none). */
  api<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<AppResponse<T>>;
  postHubSpot(events: unknown[] | string, opts?: { sign?: 'v3' | 'v1' | 'none'; timestamp?: number; path?: string }): Promise<AppResponse>;
  slackAction(payload: Record<string, unknown>): Promise<AppResponse>;
  slashCommand(cmd: { text: string; user_id: string; channel_id?: string; trigger_id?: string }): Promise<AppResponse>;
  slackEvent(event: Record<string, unknown>): Promise<AppResponse>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
try {
  // Test-file teardown: no app process outlives the file that started it.
  afterAll(async () => {
    await Promise.all([...running].map((c) => stopChild(c, 'SIGKILL', 5000).catch(() => undefined)));
  });
} catch {
  // imported outside a vitest file (bench scripts): the exit hook above still applies
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
const exitCode = (c: ChildProcess) => c.exitCode ?? 128 + (SIGNALS[c.signalCode ?? ''] ?? 0);

function stopChild(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<number> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(exitCode(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`app did not exit within ${timeoutMs} ms of ${signal}; killed`));
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(exitCode(child));
    });
    child.kill(signal);
  });
}

async function parseResponse(res: Response): Promise<AppResponse> {
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text);
  return { status: res.status, body, headers: res.headers };
}

/** Spawns `node src/main.ts` against the fakes and the given databases, and waits for /health. */
export async function startAppProcess(opts: AppProcessOptions): Promise<AppProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const base: Record<string, string> = {
    ...Object.fromEntries(INHERITED.filter((k) => process.env[k]).map((k) => [k, process.env[k] as string])),
    DOTENV_CONFIG_PATH: '/dev/null',
    NODE_ENV: 'test',
    PORT: String(port),
    PUBLIC_URL: url,
    MONGODB_URI: opts.mongoUri,
    ...(opts.neo4jUri ? { NEO4J_URI: opts.neo4jUri } : {}),
    ...opts.fakes.env(),
    SLACK_SIGNING_SECRET: `slack-signing-${randomBytes(8).toString('hex')}`,
    HUBSPOT_CLIENT_SECRET: `hs-client-${randomBytes(8).toString('hex')}`,
    ORCH_API_TOKEN: `orch-api-${randomBytes(12).toString('hex')}`,
    ORCH_ADMINS: 'UADMIN1',
    ORCH_DEBOUNCE_MS: '200',
    ORCH_MONGO_RETRY_MS: '5000',
  };
  const env = Object.fromEntries(Object.entries({ ...base, ...opts.env }).filter(([, v]) => v !== ''));
  const lines: string[] = [];
  let child: ChildProcess;

  const spawnChild = () => {
    child = spawn(NODE, ['--import', EXIT_WITH_PARENT, opts.entry ?? 'src/main.ts'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.on('data', (d: Buffer) => {
        const parts = (partial + d.toString()).split('\n');
        partial = parts.pop() ?? '';
        lines.push(...parts);
        if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
      });
      stream?.on('end', () => partial && lines.push(partial));
    }
  };

  const waitHealthy = async () => {
    const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`app exited with ${exitCode(child)} before /health answered. Last log lines:\n${lines.slice(-30).join('\n')}`);
      }
      const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`app did not answer /health within ${opts.startTimeoutMs ?? 30_000} ms. Last log lines:\n${lines.slice(-30).join('\n')}`);
  };

  const post = async (p: string, body: string, headers: Record<string, string>) => parseResponse(await fetch(`${url}${p}`, { method: 'POST', headers, body }));
  const slackSigned = (body: string, contentType: string) =>
    post('/slack/events', body, { 'content-type': contentType, ...signSlack({ signingSecret: env.SLACK_SIGNING_SECRET as string, body }) });
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const ids = () => randomBytes(6).toString('hex');

  spawnChild();
  if (opts.waitForHealth !== false) await waitHealthy();

  const app: AppProcess = {
    url,
    port,
    env,
    logs: () => lines.join('\n'),
    pid: () => child.pid,
    async waitForLog(re, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find((l) => re.test(l));
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no log line matched ${re} within ${timeoutMs} ms. Last lines:\n${lines.slice(-20).join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    exited: () => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve(exitCode(child)) : new Promise((resolve) => child.once('exit', () => resolve(exitCode(child))))),
    stop: (signal = 'SIGTERM', timeoutMs = 15_000) => stopChild(child, signal, timeoutMs),
    kill: () => stopChild(child, 'SIGKILL', 5000),
    async restart() {
      await stopChild(child, 'SIGTERM', 15_000);
      spawnChild();
      await waitHealthy();
    },
    async api(method, p, body, token = env.ORCH_API_TOKEN) {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}${p}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return parseResponse(res) as Promise<AppResponse<never>>;
    },
    postHubSpot(events, o = {}) {
      const p = o.path ?? '/webhooks/hubspot';
      const body = typeof events === 'string' ? events : JSON.stringify(events);
      const secret = env.HUBSPOT_CLIENT_SECRET as string;
      const sign = o.sign ?? 'v3';
      const headers =
        sign === 'v3'
          ? signHubSpotV3({ secret, url: `${url}${p}`, body, ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}) })
          : sign === 'v1'
            ? signHubSpotV1({ secret, body })
            : { 'content-type': 'application/json' };
      return post(p, body, headers);
    },
    slackAction(payload) {
      const type = (payload.type as string | undefined) ?? 'block_actions';
      const full = {
        type,
        token: 'legacy-verification-token',
        api_app_id: 'AORCH',
        team: { id: 'TORCH', domain: 'orch-test' },
        user: { id: 'UADMIN1', username: 'admin', name: 'admin', team_id: 'TORCH' },
        trigger_id: `trig.${ids()}`,
        ...(type === 'block_actions' ? { response_url: opts.fakes.slack.responseUrl(), container: { type: 'message' } } : {}),
        ...payload,
      };
      return slackSigned(form({ payload: JSON.stringify(full) }), 'application/x-www-form-urlencoded');
    },
    slashCommand(cmd) {
      const fields = {
        token: 'legacy-verification-token',
        command: '/orch',
        text: cmd.text,
        user_id: cmd.user_id,
        user_name: cmd.user_id.toLowerCase(),
        team_id: 'TORCH',
        team_domain: 'orch-test',
        channel_id: cmd.channel_id ?? 'CCOMMANDS1',
        channel_name: 'ops',
        api_app_id: 'AORCH',
        response_url: opts.fakes.slack.responseUrl(),
        trigger_id: cmd.trigger_id ?? `trig.${ids()}`,
      };
      return slackSigned(form(fields), 'application/x-www-form-urlencoded');
    },
    slackEvent(event) {
      const body = JSON.stringify({
        token: 'legacy-verification-token',
        team_id: 'TORCH',
        api_app_id: 'AORCH',
        type: 'event_callback',
        event_id: `Ev${ids().toUpperCase()}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: 'TORCH', user_id: 'UORCHBOT', is_bot: true }],
        event: { event_ts: `${Date.now() / 1000}`, ...event },
      });
      return slackSigned(body, 'application/json');
    },
  };
  return app;
}
