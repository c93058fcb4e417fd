import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { docProblems, renderConfigDoc, renderEnvExample } from '../src/config-docs.ts';

/** `npm run docs:config`: rewrites .env.example and docs/configuration.md from src/config.ts. */
const root = fileURLToPath(new URL('..', import.meta.url));
writeFileSync(`${root}.env.example`, renderEnvExample());
writeFileSync(`${root}docs/configuration.md`, renderConfigDoc());
const { undocumented, stale } = docProblems();
process.stdout.write('wrote .env.example and docs/configuration.md\n');
if (undocumented.length) process.stdout.write(`keys without a doc line in CONFIG_HINTS (src/config.ts): ${undocumented.join(', ')}\n`);
if (stale.length) process.stdout.write(`doc lines for keys the schema no longer has: ${stale.join(', ')}\n`);
process.exitCode = undocumented.length || stale.length ? 1 : 0;
