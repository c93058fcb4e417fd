import 'dotenv/config';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { runSetup } from '../src/setup/index.ts';
import { loadTriggerTable } from '../workflows/triggers.ts';

/**
 * `npm run setup [-- --apply]`: checks Slack, HubSpot and Airtable with the values in .env, lists
 * what orch needs and is missing (dry run), creates it with --apply, and prints the Slack manifest
 * and the HubSpot webhook subscriptions to paste. Exit 0 when everything exists afterwards.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const apply = process.argv.includes('--apply');
let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`orch setup needs a filled .env first. ${err.message}\n`);
  process.exit(1);
}
const logger = createLogger({ level: 'error' });
const report = await runSetup({
  config,
  logger,
  apply,
  manifestText: readFileSync(path.join(ROOT, 'manifest.yml'), 'utf8'),
  triggers: loadTriggerTable(path.resolve(ROOT, config.ORCH_TRIGGERS_FILE)),
});
process.stdout.write(report.text);
process.exitCode = report.ok ? 0 : 1;
