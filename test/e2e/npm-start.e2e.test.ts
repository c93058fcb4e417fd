import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { startAppProcess } from '../helpers/app-process.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { until } from '../helpers/ingest.ts';

let fakes: Fakes;
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(async () => {
  await fakes?.stop();
});

describe('npm start under a process manager', () => {
  it('when the npm process gets SIGTERM, then the app it started stops within ORCH_SHUTDOWN_TIMEOUT_MS instead of being orphaned', async () => {
    // The environment the test helper gives an app, reused for `npm start` on a port of its own.
    const probe = await startAppProcess({ fakes, mongoUri: uniqueMongoUri('npmstart').uri });
    await probe.stop();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { ...probe.env, PORT: String(port), PUBLIC_URL: url, ORCH_SHUTDOWN_TIMEOUT_MS: '5000' };
    const npm = spawn('npm', ['start', '--silent'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await until(async () => (await fetch(`${url}/health`).catch(() => null))?.ok, 30_000, `/health of npm start:\n${out}`);

    const t0 = Date.now();
    npm.kill('SIGTERM');
    await until(async () => (await fetch(`${url}/health`).then(() => false, () => true)), 10_000, 'the app to stop serving');
    await until(async () => /"message":"stopped"/.test(out), 10_000, `the app's stopped line:\n${out}`);
    expect(Date.now() - t0).toBeLessThan(6000);
  }, 60_000);
});
