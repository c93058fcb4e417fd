import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { runSetup } from '../../src/setup/index.ts';
import { AIRTABLE_TABLES, HUBSPOT_PROPERTIES } from '../../src/setup/requirements.ts';
import { loadTriggerTable } from '../../workflows/triggers.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';

let fakes: Fakes;
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(async () => {
  await fakes.stop();
});
beforeEach(() => fakes.reset());

const PUBLIC_URL = 'https://orch.acme-ops.com';
const setup = (apply: boolean, env: Record<string, string> = {}) =>
  runSetup({
    config: loadConfig({ PUBLIC_URL, SLACK_SIGNING_SECRET: 'test-signing-secret', HUBSPOT_CLIENT_SECRET: 'test-hubspot-secret', ORCH_API_TOKEN: 'test-api-token-0123456789', ...fakes.env(), ...env }),
    logger: createLogger({ level: 'error' }),
    apply,
    manifestText: readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8'),
    triggers: loadTriggerTable(new URL('../../workflows/triggers.json', import.meta.url).pathname),
  });

describe('npm run setup', () => {
  it('when run without --apply on an empty portal and base, then it lists every missing property, table and field and changes nothing', async () => {
    fakes.airtable.meta.define('Accounts', [{ name: 'Name' }, { name: 'HubSpot Id' }, { name: 'Domain' }]);
    const r = await setup(false);
    expect(r.ok).toBe(false);
    for (const p of ['deals.orch_procurement_status', 'contacts.orch_role', 'contacts.orch_seniority']) expect(r.text).toMatch(new RegExp(`MISSING ${p.replace('.', '\\.')}`));
    expect(r.text).toMatch(/MISSING Accounts: missing fields: Industry, Employees, Annual Revenue, Lifecycle Stage, Owner, SOP/);
    for (const t of ['Procurement', 'Contacts', 'Kickoffs']) expect(r.text).toMatch(new RegExp(`MISSING ${t}: table missing`));
    expect(fakes.hubspot.calls.filter((c) => c.method === 'POST')).toEqual([]);
    expect(fakes.airtable.calls.filter((c) => c.method === 'POST')).toEqual([]);
  });

  it('when run with --apply, then the properties, tables and fields are created (links to Accounts included), and a second run finds everything', async () => {
    fakes.airtable.meta.define('Accounts', [{ name: 'Name' }, { name: 'HubSpot Id' }]);
    const first = await setup(true);
    expect(first.ok, first.text).toBe(true);
    for (const spec of HUBSPOT_PROPERTIES) expect(fakes.hubspot.properties.of(spec.objectType).get(spec.name)).toMatchObject({ type: 'string', fieldType: 'text' });
    const accounts = fakes.airtable.meta.tables.get('Accounts');
    for (const spec of AIRTABLE_TABLES) {
      const table = fakes.airtable.meta.tables.get(spec.name);
      expect(table?.fields.map((f) => f.name)).toEqual(expect.arrayContaining(spec.fields.map((f) => f.name)));
    }
    expect(fakes.airtable.meta.tables.get('Contacts')?.fields.find((f) => f.name === 'Account')).toMatchObject({ type: 'multipleRecordLinks', options: { linkedTableId: accounts?.id } });
    fakes.hubspot.calls.length = 0;
    fakes.airtable.calls.length = 0;
    const second = await setup(true);
    expect(second.ok).toBe(true);
    expect(second.text).toContain('Everything orch needs exists.');
    expect([...fakes.hubspot.calls, ...fakes.airtable.calls].filter((c) => c.method === 'POST')).toEqual([]);
  });

  it('when it finishes, then it prints the manifest with PUBLIC_URL and the webhook subscriptions the trigger table needs', async () => {
    const r = await setup(false, { AIRTABLE_API_KEY: '', AIRTABLE_BASE_ID: '' });
    expect(r.text).toContain('Airtable   not configured');
    expect(r.text).toContain(`url: ${PUBLIC_URL}/slack/events`);
    expect(r.text).not.toContain('orch.example.com');
    expect(r.text).toContain(`Target URL: ${PUBLIC_URL}/webhooks/hubspot`);
    expect(r.text).toMatch(/- company\.creation/);
    expect(r.text).toMatch(/- company\.propertyChange: .*domain.*name/);
    expect(r.text).toMatch(/- deal\.propertyChange: amount, dealstage/);
  });

  it('when Notion databases are configured, then each is checked as shared with the integration', async () => {
    const sop = fakes.notion.addDatabase({ title: 'SOPs' });
    const r = await setup(false, { NOTION_SOP_DATABASE_ID: sop, NOTION_KICKOFF_DATABASE_ID: 'db-not-shared-0000' });
    expect(r.text).toContain('Notion     token accepted');
    expect(r.text).toMatch(new RegExp(`ok +NOTION_SOP_DATABASE_ID ${sop}: shared with the integration`));
    expect(r.text).toMatch(/FAILED +NOTION_KICKOFF_DATABASE_ID db-not-shared-0000: not found: share the database with the integration/);
    expect(r.notion?.ok).toBe(false);
  });

  it('when SLACK_APP_TOKEN is set (Socket Mode), then the printed manifest has no URLs and socket mode on', async () => {
    const r = await setup(false, { SLACK_APP_TOKEN: 'xapp-1-A0000-0000-socketmode' });
    const manifest = r.text.slice(r.text.indexOf('== Slack app manifest'), r.text.indexOf('== HubSpot webhooks'));
    expect(manifest).toContain('socket_mode_enabled: true');
    expect(manifest).not.toMatch(/^\s*(url|request_url):/m);
  });

  it('when a token is refused, then the line names the variable and what to do', async () => {
    fakes.slack.inject({ match: 'auth.test', status: 200, body: { ok: false, error: 'invalid_auth' } });
    fakes.hubspot.inject({ match: '/crm/v3/properties', status: 401, times: Infinity });
    fakes.airtable.inject({ match: '/v0/meta', status: 403 });
    fakes.notion.inject({ match: '/v1/search', status: 401, body: { object: 'error', status: 401, code: 'unauthorized', message: 'API token is invalid.' } });
    const r = await setup(false);
    expect(r.ok).toBe(false);
    expect(r.text).toContain('SLACK_BOT_TOKEN was refused by Slack (invalid_auth)');
    expect(r.text).toContain('HUBSPOT_ACCESS_TOKEN was refused by HubSpot (401)');
    expect(r.text).toContain('schema.bases:read');
    expect(r.text).toContain('NOTION_TOKEN was refused by Notion (unauthorized)');
  });
});

describe('npm run setup before the tokens exist', () => {
  it('when only PUBLIC_URL is set, then it lists what is missing and still prints the manifest and webhooks to create the apps with', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const node = Number(process.versions.node.split('.')[0]) >= 22 ? process.execPath : path.join(root, 'node_modules/.bin/node');
    // From a directory without a .env, with nothing but PUBLIC_URL (and PATH) in the environment.
    const r = spawnSync(node, [path.join(root, 'scripts/setup.ts')], { cwd: os.tmpdir(), env: { PATH: process.env.PATH ?? '', PUBLIC_URL }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('SLACK_BOT_TOKEN is missing');
    expect(r.stdout).toContain(`url: ${PUBLIC_URL}/slack/events`);
    expect(r.stdout).toContain(`Target URL: ${PUBLIC_URL}/webhooks/hubspot`);
  });
});
