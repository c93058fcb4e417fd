import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJavaMongo, type JavaMongo } from '../../src/db/java-mongo.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { startAppProcess } from '../helpers/app-process.ts';
import { uniqueMongoUri } from '../helpers/db.ts';

/** `npm run db:check` as a user runs it (the script on the same Node as the tests). */
function dbCheck(uri: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/db-check.ts', uri], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOTENV_CONFIG_PATH: '/dev/null' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

let fakes: Fakes;
// A server whose conditional updates ignore their condition: every racer wins (FerretDB v1 behaves so).
let broken: JavaMongo;
beforeAll(async () => {
  [fakes, broken] = await Promise.all([startFakes(), startJavaMongo({ heapMb: 256, loseConditions: true })]);
});
afterAll(async () => {
  await broken?.stop();
  await fakes?.stop();
});

describe('the start-up database check', () => {
  it('when the database gives every guarantee, then db:check prints each check and exits 0', async () => {
    const { code, out } = await dbCheck(uniqueMongoUri('dbcheck').uri);
    expect(out).toMatch(/^ok +version: server [6-9]\.\d+/m);
    expect(out).toMatch(/^ok +unique_index: duplicate key refused/m);
    expect(out).toMatch(/^ok +conditional_update: 10 concurrent conditional updates: exactly one winner/m);
    expect(code).toBe(0);
  });

  it('when conditional updates have several winners, then db:check says which guarantee is missing and exits 1', async () => {
    const { code, out } = await dbCheck(`${broken.uri}dbcheck_broken`);
    expect(out).toMatch(/^FAIL conditional_update: 10 concurrent conditional updates of one document had 10 winners/m);
    expect(out).toContain('orch needs MongoDB 6.0+ or Atlas');
    expect(code).toBe(1);
  });

  it('when orch starts on such a server, then it refuses with one line naming the guarantee, and ORCH_DB_CHECK=off lets it start', async () => {
    const app = await startAppProcess({ fakes, mongoUri: `${broken.uri}dbcheck_app`, waitForHealth: false });
    expect(await app.exited()).toBe(1);
    const lines = app.logs().split('\n').filter((l) => l.startsWith('orch cannot start.'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/does not give the guarantees orch needs: conditional_update: .* had 10 winners.*ORCH_DB_CHECK=off/);
    expect(app.logs()).not.toMatch(/^\s+at /m);

    const forced = await startAppProcess({ fakes, mongoUri: `${broken.uri}dbcheck_forced`, env: { ORCH_DB_CHECK: 'off' } });
    expect((await fetch(`${forced.url}/health`)).status).toBe(200);
    await forced.kill();
  });
});
