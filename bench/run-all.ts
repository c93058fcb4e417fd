import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** `npm run bench`: runs every `bench:*` script in package.json in turn and prints their figures. */
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
const names = Object.keys(pkg.scripts).filter((n) => n.startsWith('bench:'));
let failed = 0;
for (const name of names) {
  console.log(`\n=== ${name} ===`);
  const r = spawnSync('npm', ['run', '--silent', name], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed += 1;
    console.log(`${name} exited with ${r.status}`);
  }
}
process.exit(failed ? 1 : 0);
