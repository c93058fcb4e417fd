import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allSubcommands } from '../../bot/commands/registry.ts';
import '../../bot/commands/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const manifest = parse(readFileSync(path.join(ROOT, 'manifest.yml'), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
  features: { slash_commands: { command: string; usage_hint: string }[] };
};

/** The bot scope each Slack Web API method needs ([] = none). A method the code calls that is missing here fails the test. */
const METHOD_SCOPES: Record<string, string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.delete': ['chat:write'],
  'chat.scheduleMessage': ['chat:write'],
  'conversations.open': ['im:write'],
  // One of the two, by channel type: public (channels:) or private (groups:); the approvals channel may be either.
  'conversations.history': ['channels:history', 'groups:history'],
  'chat.getPermalink': [],
  'conversations.info': ['channels:read'],
  'conversations.list': ['channels:read'],
  'users.info': ['users:read'],
  'users.lookupByEmail': ['users:read.email', 'users:read'],
  'views.open': [],
  'views.update': [],
  'views.push': [],
  'views.publish': [],
  'reactions.add': ['reactions:write'],
  'files.uploadV2': ['files:write'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
};
/** Scopes no single method call shows: the slash command itself, and posting to channels orch was not invited to. */
const STANDING = { commands: '/orch is registered (bot/commands)', 'chat:write.public': 'sheets and alerts go to channels named in config' };

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** Slack Web API methods called anywhere in product code: `<client>.chat.postMessage(`, `filesUploadV2(`. */
function slackMethodsUsed(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const families = 'auth|chat|conversations|users|views|reactions|files|pins|team|usergroups|bots|dnd|emoji|bookmarks|reminders';
  const re = new RegExp(`\\b(?:slack|client|web|home|api)\\.(${families})\\.([a-zA-Z]+)\\s*\\(`, 'g');
  for (const file of ['src', 'bot', 'workflows', 'jobs'].flatMap(sourceFiles)) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(re)) {
      const method = `${m[1]}.${m[2]}`;
      // `chat.completions` is OpenAI's client, not Slack's.
      if (method === 'chat.completions') continue;
      used.set(method, [...(used.get(method) ?? []), file]);
    }
    if (/\bfilesUploadV2\s*\(/.test(text)) used.set('files.uploadV2', [...(used.get('files.uploadV2') ?? []), file]);
  }
  return used;
}

describe('manifest.yml', () => {
  it('when the code calls a Slack Web API method, then the manifest has its scope, and has no scope the code does not use', () => {
    const used = slackMethodsUsed();
    expect(used.has('chat.postMessage')).toBe(true);
    const unknown = [...used.keys()].filter((m) => !(m in METHOD_SCOPES));
    expect(unknown, 'methods missing from METHOD_SCOPES in this test: add each with its scope (and the scope to manifest.yml)').toEqual([]);
    const needed = new Set([...used.keys()].flatMap((m) => METHOD_SCOPES[m] ?? []).concat(Object.keys(STANDING)));
    const declared = manifest.oauth_config.scopes.bot;
    expect([...needed].filter((s) => !declared.includes(s)), 'scopes the code needs but manifest.yml lacks').toEqual([]);
    expect(declared.filter((s) => !needed.has(s)), 'scopes in manifest.yml no code uses').toEqual([]);
  });

  it('when the scopes are listed, then docs/surfaces.md gives the reason for each', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/surfaces.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Slack scopes'));
    expect(section.length, 'docs/surfaces.md has a "## Slack scopes" section').toBeGreaterThan(20);
    for (const scope of manifest.oauth_config.scopes.bot) expect(section, scope).toContain(`| \`${scope}\` |`);
  });

  it('when /orch has a subcommand, then the usage hint names it', () => {
    const hint = manifest.features.slash_commands.find((c) => c.command === '/orch')?.usage_hint ?? '';
    const words = new Set(hint.split(/[\s|[\]<>]+/).filter(Boolean));
    const names = allSubcommands().map((s) => s.name);
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => !words.has(n)), 'subcommands missing from the /orch usage_hint in manifest.yml').toEqual([]);
    expect(hint.length).toBeLessThanOrEqual(1000);
  });
});
