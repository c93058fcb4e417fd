import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Logger } from '../logger.ts';
import { startJavaMongo } from './java-mongo.ts';

/**
 * Development-only database for `npm start` without MONGODB_URI. A data dir belongs to one server
 * kind (recorded in <dataDir>/KIND), so a start never comes up silently on another, empty store:
 * - `mongod`: mongodb-memory-server (a real mongod) with its files under <dataDir>/mongo, where a
 *   mongod binary can be obtained (cached, or one download attempt with a short timeout);
 * - `mongo-java-server`: offline, mongo-java-server with its H2 MVStore file <dataDir>/orch.mv.db
 *   (built with Maven on first use).
 * A failed mongod attempt is remembered in the data dir, so later offline starts do not wait for it.
 */
export type EmbeddedKind = 'mongod' | 'mongo-java-server';

export interface EmbeddedMongo {
  uri: string;
  kind: EmbeddedKind;
  stop(): Promise<void>;
}

export class EmbeddedDbError extends Error {
  override name = 'EmbeddedDbError';
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

export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

const MONGOD_ATTEMPT_MS = 10_000;

async function startMongod(dataDir: string): Promise<EmbeddedMongo> {
  const dbPath = path.join(dataDir, 'mongo');
  mkdirSync(dbPath, { recursive: true });
  // One download attempt, not mongodb-memory-server's three with backoff.
  process.env.MONGOMS_MAX_RETRIES ??= '1';
  const { MongoBinary, MongoMemoryServer } = await import('mongodb-memory-server-core');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no mongod within ${MONGOD_ATTEMPT_MS / 1000} s`)), MONGOD_ATTEMPT_MS);
    timer.unref();
  });
  try {
    // The binary first (cached, or downloaded): its failure is ours to report, in one log line.
    await Promise.race([MongoBinary.getPath(), timeout]);
  } finally {
    clearTimeout(timer);
  }
  const server = await MongoMemoryServer.create({ instance: { dbPath, storageEngine: 'wiredTiger' } });
  return { uri: server.getUri('orch'), kind: 'mongod', stop: async () => void (await server.stop({ doCleanup: false })) };
}

async function startH2(dataDir: string): Promise<EmbeddedMongo> {
  const file = path.join(path.resolve(dataDir), 'orch.mv.db');
  try {
    const server = await startJavaMongo({ h2File: file, heapMb: 512 });
    return { uri: `${server.uri}orch`, kind: 'mongo-java-server', stop: server.stop };
  } catch (err) {
    const msg = (err as Error).message;
    // MVStore locks its file: a second server on the same data means one is still running.
    if (/locked/i.test(msg)) throw new EmbeddedDbError(`the embedded database in ${dataDir} is in use by another process (an orch still running?). Stop it, or set ORCH_DATA_DIR to another directory.`);
    throw new EmbeddedDbError(`the embedded database could not start: ${msg.split('\n')[0]}`);
  }
}

export async function startEmbeddedMongo(dataDir: string, logger: Logger): Promise<EmbeddedMongo> {
  mkdirSync(dataDir, { recursive: true });
  const kindFile = path.join(dataDir, 'KIND');
  const noMongodFile = path.join(dataDir, 'mongod-unavailable');
  const owner = existsSync(kindFile) ? (readFileSync(kindFile, 'utf8').trim() as EmbeddedKind) : null;
  const claim = (kind: EmbeddedKind) => writeFileSync(kindFile, `${kind}\n`);

  if (owner === 'mongo-java-server') return startH2(dataDir);
  if (owner === 'mongod') {
    try {
      return await startMongod(dataDir);
    } catch (err) {
      throw new EmbeddedDbError(
        `${dataDir} holds a mongod database, but mongod cannot start now (${(err as Error).message}). orch will not switch to another, empty store: restore mongod, or set ORCH_DATA_DIR to a new directory.`,
      );
    }
  }
  if (!existsSync(noMongodFile)) {
    try {
      const db = await startMongod(dataDir);
      claim('mongod');
      return db;
    } catch (err) {
      const reason = (err as Error).message.split('\n')[0] ?? 'unknown';
      writeFileSync(noMongodFile, `${new Date().toISOString()} ${reason}\n`);
      logger.warn('no mongod binary could be obtained for the embedded database; using mongo-java-server (remembered: delete the file to try again)', { reason, file: noMongodFile });
    }
  }
  const db = await startH2(dataDir);
  claim('mongo-java-server');
  return db;
}
