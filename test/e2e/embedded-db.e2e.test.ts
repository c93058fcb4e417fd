import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { until } from '../helpers/ingest.ts';

/**
 * `npm start` without MONGODB_URI on a machine that cannot download mongod (this one): the
 * embedded development database is mongo-java-server on an H2 file in ORCH_DATA_DIR.
 * MONGOMS_DOWNLOAD_URL points at a closed port so the one mongod attempt fails the same way offline
 * and online.
 */
const OFFLINE = { MONGOMS_DOWNLOAD_URL: 'http://127.0.0.1:9/mongod.tgz' };

function embeddedUri(app: AppProcess): string {
  const line = app.logs().split('\n').findLast((l) => l.includes('EMBEDDED'));
  const uri = line ? (JSON.parse(line) as { uri?: string }).uri : undefined;
  if (!uri) throw new Error(`no embedded database line in:\n${app.logs()}`);
  return uri;
}

const portOpen = (uri: string) =>
  new Promise<boolean>((resolve) => {
    const u = new URL(uri);
    const s = connect(Number(u.port), u.hostname);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

let fakes: Fakes;
const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'orch-data-'));
  dirs.push(d);
  return d;
};
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(async () => {
  await fakes?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the embedded development database', () => {
  it('when mongod cannot be obtained, then orch starts on mongo-java-server, says so in one JSON line, and keeps the data across a SIGKILL and restart', async () => {
    const dir = newDir();
    const app = await startAppProcess({ fakes, mongoUri: '', startTimeoutMs: 90_000, env: { ...OFFLINE, ORCH_DATA_DIR: dir } });
    const warn = app.logs().split('\n').filter((l) => l.includes('no mongod binary could be obtained'));
    expect(warn).toHaveLength(1);
    expect(() => JSON.parse(warn[0] as string)).not.toThrow();
    expect(app.logs()).not.toMatch(/^\s+at /m);
    expect(readFileSync(path.join(dir, 'KIND'), 'utf8').trim()).toBe('mongo-java-server');
    const uri = embeddedUri(app);

    const client = new MongoClient(uri);
    await client.db().collection('kept').insertOne({ _id: 'k1' as never, note: 'survives restarts' });
    await client.close();

    // SIGKILL: no shutdown code runs, yet the database server goes with its app (its stdin closes).
    await app.kill();
    await until(async () => !(await portOpen(uri)), 15_000, 'the embedded server to exit with its app');

    await app.restart();
    await until(async () => (await fetch(`${app.url}/health`)).ok, 60_000, '/health after restart');
    // The failed mongod attempt is remembered: no second attempt, no second warning.
    expect(app.logs().split('\n').filter((l) => l.includes('no mongod binary could be obtained'))).toHaveLength(1);
    const again = new MongoClient(embeddedUri(app));
    expect(await again.db().collection('kept').findOne({ _id: 'k1' as never })).toMatchObject({ note: 'survives restarts' });
    await again.close();

    // A second orch on the same data dir is refused while the first runs (the file is locked).
    const second = await startAppProcess({ fakes, mongoUri: '', waitForHealth: false, env: { ...OFFLINE, ORCH_DATA_DIR: dir } });
    expect(await second.exited()).toBe(1);
    expect(second.logs()).toMatch(/orch cannot start\..*in use by another process.*ORCH_DATA_DIR/);
    await app.stop();
  }, 180_000);

  it('when the data dir holds a mongod database and mongod cannot start, then orch refuses to switch to another, empty store', async () => {
    const dir = newDir();
    writeFileSync(path.join(dir, 'KIND'), 'mongod\n');
    const app = await startAppProcess({ fakes, mongoUri: '', waitForHealth: false, env: { ...OFFLINE, ORCH_DATA_DIR: dir } });
    expect(await app.exited()).toBe(1);
    const lines = app.logs().split('\n').filter((l) => l.startsWith('orch cannot start.'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/holds a mongod database.*will not switch.*ORCH_DATA_DIR/);
    expect(existsSync(path.join(dir, 'orch.mv.db'))).toBe(false);
  });
});
