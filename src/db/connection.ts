import mongoose, { type Connection } from 'mongoose';
import type { MongoClient } from 'mongodb';
import pRetry from 'p-retry';
import type { Logger } from '../logger.ts';

export class StartupError extends Error {
  override name = 'StartupError';
}

/** Host part of a MongoDB URI, never the credentials: safe for logs and error lines. */
export function describeMongoUri(uri: string): string {
  try {
    const u = new URL(uri.replace(/^mongodb\+srv:/, 'http:').replace(/^mongodb:/, 'http:'));
    return `${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return '(unparseable MongoDB URI)';
  }
}

export interface MongoHandles {
  /** mongoose connection for orch's own models. */
  conn: Connection;
  /** The same connection's native client (mongodb 7.8, mongoose's driver), for Agenda, the checkpointer and the start-up check. */
  client: MongoClient;
  dbName: string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  uri: string;
  logger: Logger;
  /** Give up after this long; the default suits a container that starts before its database. */
  maxRetryTimeMs?: number;
  serverSelectionTimeoutMs?: number;
  /** Log every database command slower than this (ms) at warn; 0 turns the slow-command log off. */
  slowMs?: number;
}

interface CommandEvent {
  commandName: string;
  requestId: number;
  duration?: number;
  command?: Record<string, unknown>;
}

/**
 * Slow-command log on a driver client: one warn line per command over the threshold, naming the
 * command and collection (never the filter values, which may hold customer data).
 */
function watchSlowCommands(client: { on(event: string, fn: (e: CommandEvent) => void): unknown }, slowMs: number, logger: Logger, source: string): void {
  // Only the started event carries the command; remember its collection until the reply.
  const collections = new Map<number, string | undefined>();
  client.on('commandStarted', (e) => {
    const target = e.command?.[e.commandName];
    collections.set(e.requestId, typeof target === 'string' ? target : undefined);
  });
  const report = (outcome: string) => (e: CommandEvent) => {
    const collection = collections.get(e.requestId);
    collections.delete(e.requestId);
    if ((e.duration ?? 0) < slowMs) return;
    logger.warn('slow database command', { source, command: e.commandName, collection, durationMs: e.duration, outcome });
  };
  client.on('commandSucceeded', report('ok'));
  client.on('commandFailed', report('failed'));
}

/** Connections per instance: the webhook route's writers, Agenda, the checkpointer and the surfaces share them. */
export const MONGO_POOL_SIZE = 30;

/** Connects with bounded retry; throws StartupError naming the host (no password) on failure. */
export async function connectMongo(opts: ConnectOptions): Promise<MongoHandles> {
  const { uri, logger } = opts;
  const where = describeMongoUri(uri);
  const budget = opts.maxRetryTimeMs ?? 30_000;
  // One attempt never outlasts a short retry budget: a closed port fails after the budget, not 3 s later.
  const selection = opts.serverSelectionTimeoutMs ?? Math.max(500, Math.min(3000, budget));
  const slowMs = opts.slowMs ?? 0;
  const monitorCommands = slowMs > 0;
  const open = async () => {
    const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: selection, maxPoolSize: MONGO_POOL_SIZE, autoIndex: false, monitorCommands });
    try {
      await conn.asPromise();
      return conn;
    } catch (err) {
      await conn.close().catch(() => undefined);
      throw err;
    }
  };
  let conn: Connection;
  try {
    conn = await pRetry(open, {
      retries: 20,
      minTimeout: 250,
      maxTimeout: 2000,
      maxRetryTime: budget,
      onFailedAttempt: ({ error, attemptNumber }) => {
        logger.warn('MongoDB not reachable yet, retrying', { where, attempt: attemptNumber, error: error.message });
      },
    });
  } catch (err) {
    throw new StartupError(`Cannot connect to MongoDB at ${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  const dbName = conn.db?.databaseName ?? 'orch';
  // One driver and one pool for everything: mongoose's client is a plain mongodb 7.8 MongoClient.
  const client: MongoClient = conn.getClient();
  if (monitorCommands) watchSlowCommands(client, slowMs, logger, 'driver');
  return {
    conn,
    client,
    dbName,
    async close() {
      await conn.close();
    },
  };
}

/** Used by /ready: a cheap round trip that fails fast when the server is gone. */
export async function pingMongo(conn: Connection, timeoutMs = 1500): Promise<void> {
  const db = conn.db;
  if (!db) throw new Error('not connected');
  await Promise.race([
    db.admin().command({ ping: 1 }),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`ping timed out after ${timeoutMs} ms`)), timeoutMs).unref()),
  ]);
}
