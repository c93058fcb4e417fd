import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

/**
 * Minimal real-process launcher for ingest tests and the ingest benchmark (no vitest imports, so
 * bench/ can use it): `<node24> src/main.ts` with the given env, waits for /health.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface SpawnedApp {
  url: string;
  port: number;
  pid(): number | undefined;
  logs(): string;
  kill(): Promise<void>;
  stop(): Promise<number | null>;
  restart(): Promise<void>;
}

export async function spawnApp(env: Record<string, string>, opts: { startTimeoutMs?: number } = {}): Promise<SpawnedApp> {
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  let out = '';
  let child: ChildProcess;

  async function launch(): Promise<void> {
    child = spawn(NODE, ['src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PUBLIC_URL: url, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode} during start:\n${out.slice(-3000)}`);
      try {
        const r = await fetch(`${url}/health`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`app did not become healthy:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const exited = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
    });

  await launch();
  return {
    url,
    port,
    pid: () => child.pid,
    logs: () => out,
    async kill() {
      child.kill('SIGKILL');
      await exited();
    },
    async stop() {
      child.kill('SIGTERM');
      return exited();
    },
    async restart() {
      await launch();
    },
  };
}
