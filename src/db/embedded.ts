import { existsSync, mkdirSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import os from 'node:os';
import type { Logger } from '../logger.ts';

/**
 * Development-only MongoDB for `npm start` without MONGODB_URI: mongodb-memory-server with its data
 * kept under <dataDir>/mongo. Where mongod cannot be downloaded (offline machines), the FerretDB
 * binary the test bed builds is used instead, with SQLite files under <dataDir>/ferretdb.
 */
export interface EmbeddedMongo {
  uri: string;
  kind: 'mongodb-memory-server' | 'ferretdb';
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function ferretdbBinaryPath(): string {
  const cache = process.env.ORCH_TESTBED_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'orch-testbed');
  return path.join(cache, 'ferretdb', 'ferretdb');
}

/** `port` lets a test restart FerretDB where clients expect it (same port, same data dir). */
export async function startFerretDb(dataDir: string, logger?: Logger, port?: number): Promise<{ uri: string; port: number; process: ChildProcess; stop(): Promise<void> }> {
  const bin = ferretdbBinaryPath();
  if (!existsSync(bin)) throw new Error(`FerretDB binary not found at ${bin} (run npm run testbed:prepare)`);
  mkdirSync(dataDir, { recursive: true });
  const listenPort = port ?? (await freePort());
  const child = spawn(
    bin,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${path.resolve(dataDir)}/`,
      `--listen-addr=127.0.0.1:${listenPort}`,
      `--state-dir=${path.resolve(dataDir)}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (d: Buffer) => logger?.debug('ferretdb', { line: d.toString().slice(0, 500) }));
  // Never outlive the process that started it, even when that one ends through process.exit()
  // without stopping it (a failed benchmark left FerretDB servers running).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  await waitForPort(listenPort, 15_000, child);
  return {
    uri: `mongodb://127.0.0.1:${listenPort}/`,
    port: listenPort,
    process: child,
    stop: () => stopChild(child),
  };
}

export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function waitForPort(port: number, timeoutMs: number, child: ChildProcess): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with code ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}

export async function startEmbeddedMongo(dataDir: string, logger: Logger): Promise<EmbeddedMongo> {
  const dbPath = path.join(dataDir, 'mongo');
  mkdirSync(dbPath, { recursive: true });
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server-core');
    const server = await MongoMemoryServer.create({ instance: { dbPath, storageEngine: 'wiredTiger' } });
    return { uri: server.getUri('orch'), kind: 'mongodb-memory-server', stop: async () => void (await server.stop({ doCleanup: false })) };
  } catch (err) {
    logger.warn('mongodb-memory-server could not start (offline?); trying the FerretDB binary', { error: (err as Error).message });
  }
  const ferret = await startFerretDb(path.join(dataDir, 'ferretdb'), logger);
  return { uri: `${ferret.uri}orch`, kind: 'ferretdb', stop: ferret.stop };
}
