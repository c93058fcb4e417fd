import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { startAppProcess } from '../helpers/app-process.ts';
import { uniqueMongoUri } from '../helpers/db.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = Number(process.versions.node.split('.')[0]) >= 22 ? process.execPath : path.join(ROOT, 'node_modules/.bin/node');

let fakes: Fakes;
// Inside the clone, like dist/, so the compiled files find node_modules the same way.
const outDir = mkdtempSync(path.join(ROOT, '.build-test-'));
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(async () => {
  await fakes.stop();
  rmSync(outDir, { recursive: true, force: true });
});

describe('the build output runs on its own', () => {
  it('when `npm run build` has run, then node <out>/src/main.js reaches /health and loads the trigger table and policies', { timeout: 240_000 }, async () => {
    // The same script `npm run build` runs, into a private directory so it cannot disturb dist/.
    const build = spawnSync(NODE, ['scripts/build.ts', outDir], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
    for (const asset of ['workflows/triggers.json', 'workflows/policies.json', 'package.json', 'scripts/testbed/mongo/pom.xml']) expect(existsSync(path.join(outDir, asset)), asset).toBe(true);
    const app = await startAppProcess({ fakes, mongoUri: uniqueMongoUri('e2ebuild').uri, entry: path.relative(ROOT, path.join(outDir, 'src/main.js')), startTimeoutMs: 60_000 });
    try {
      const health = await fetch(`${app.url}/health`);
      expect(health.status).toBe(200);
      expect(app.logs()).toContain('orch started');
      expect(app.logs()).not.toMatch(/ENOENT|Cannot find module/);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });
});
