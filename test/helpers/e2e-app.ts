import { afterAll, beforeAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import mongoose from 'mongoose';
import { createModels, type Models } from '../../src/db/models/index.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { startAppProcess, type AppProcess } from './app-process.ts';
import { uniqueMongoUri } from './db.ts';

export interface AppWithDb {
  readonly fakes: Fakes;
  readonly app: AppProcess;
  readonly conn: mongoose.Connection;
  readonly db: Models;
  readonly uri: string;
}

/**
 * One place for the e2e setup most files repeated: fakes, an app process on a database of its own, and a
 * connection to that database, started in beforeAll and stopped in afterAll (E2E_LOGS=<file> dumps the app's logs).
 * Extra setup goes in the file's own beforeAll, which runs after this one; setup the app must see at start
 * (a fake's database id in its env) goes in `env` as a function of the fakes, called before the app starts.
 */
export function useAppWithDb(label: string, opts: { env?: Record<string, string> | ((fakes: Fakes) => Record<string, string>); neo4jUri?: string; startTimeoutMs?: number } = {}): AppWithDb {
  let fakes: Fakes | undefined;
  let app: AppProcess | undefined;
  let conn: mongoose.Connection | undefined;
  let db: Models | undefined;
  let uri: string | undefined;
  beforeAll(async () => {
    fakes = await startFakes();
    uri = uniqueMongoUri(label).uri;
    const env = typeof opts.env === 'function' ? opts.env(fakes) : opts.env;
    app = await startAppProcess({ fakes, mongoUri: uri, neo4jUri: opts.neo4jUri, env, startTimeoutMs: opts.startTimeoutMs });
    conn = await mongoose.createConnection(uri).asPromise();
    db = createModels(conn);
  });
  afterAll(async () => {
    if (process.env.E2E_LOGS) writeFileSync(process.env.E2E_LOGS, app?.logs() ?? '');
    await app?.stop();
    await conn?.close();
    await fakes?.stop();
  });
  const ready = <T>(name: string, v: T | undefined): T => {
    if (v === undefined) throw new Error(`useAppWithDb('${label}').${name} read before its beforeAll ran (read it inside a hook or test)`);
    return v;
  };
  return {
    get fakes() { return ready('fakes', fakes); },
    get app() { return ready('app', app); },
    get conn() { return ready('conn', conn); },
    get db() { return ready('db', db); },
    get uri() { return ready('uri', uri); },
  };
}
