import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run build [-- <outDir>]`: compiles with tsconfig.build.json, then copies what the code reads
 * at run time next to the compiled files (every non-TypeScript file of the compiled folders, e.g.
 * workflows/triggers.json, policies.json, role tables; the embedded database's Maven project; and
 * package.json for the version and the module type), so `node dist/src/main.js` runs on its own.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['src', 'bot', 'workflows', 'jobs', 'blocks'];
/** What the embedded development database is built from on first use without MONGODB_URI (src/db/java-mongo.ts). */
const EXTRA_DIRS = ['scripts/testbed/mongo'];
const outDir = path.resolve(ROOT, process.argv[2] ?? 'dist');

const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

/** Files under dir (relative to ROOT) that tsc does not emit. */
function assets(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'target' ? [] : assets(rel);
    return e.isFile() && !e.name.endsWith('.ts') ? [rel] : [];
  });
}

const copied = [...SOURCE_DIRS, ...EXTRA_DIRS].flatMap(assets).concat('package.json');
for (const rel of copied) {
  mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
  copyFileSync(path.join(ROOT, rel), path.join(outDir, rel));
}
process.stdout.write(`built ${path.relative(ROOT, outDir) || outDir}: compiled, and copied ${copied.length} asset files (${copied.join(', ')})\n`);
