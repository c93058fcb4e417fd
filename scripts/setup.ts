import 'dotenv/config';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { instructionsText, runSetup } from '../src/setup/index.ts';
import { loadTriggerTable } from '../workflows/triggers.ts';

/**
 * `npm run setup [-- --apply]`: checks Slack, HubSpot and Airtable with the values in .env, lists
 * what orch needs and is missing (dry run), creates it with --apply, and prints the Slack manifest
 * and the HubSpot webhook subscriptions to paste. Exit 0 when everything exists afterwards.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const apply = process.argv.includes('--apply');
const manifestText = readFileSync(path.join(ROOT, 'manifest.yml'), 'utf8');
const triggersFile = path.resolve(ROOT, process.env.ORCH_TRIGGERS_FILE || 'workflows/triggers.json');
let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`orch setup cannot check the services yet. ${err.message}\n`);
  // The Slack token comes from the app the manifest creates: with PUBLIC_URL set, print what to paste anyway.
  const url = process.env.PUBLIC_URL;
  if (url && !err.problems.some((p) => p.startsWith('PUBLIC_URL'))) {
    process.stdout.write(`\nFirst create the Slack app and the HubSpot webhooks with these, fill in the tokens, then run setup again.\n\n${instructionsText(manifestText, url, loadTriggerTable(triggersFile))}`);
  }
  process.exit(1);
}
const logger = createLogger({ level: 'error' });
const report = await runSetup({
  config,
  logger,
  apply,
  manifestText,
  triggers: loadTriggerTable(triggersFile),
});
process.stdout.write(report.text);
process.exitCode = report.ok ? 0 : 1;
