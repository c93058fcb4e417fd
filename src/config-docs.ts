import type { z } from 'zod';
import { CONFIG_HINTS, configSchema, duration } from './config.ts';

/**
 * `.env.example` and docs/configuration.md rendered from the config schema and its doc lines
 * (CONFIG_HINTS), so neither can drift from what orch reads. `npm run docs:config` writes them;
 * test/unit/config-docs.test.ts fails, listing the keys, when they are out of date.
 */

export interface KeyDoc {
  key: string;
  required: boolean;
  /** The default as a user writes it (`4h`, `3000`), or '' when unset means "off". */
  defaultText: string;
  doc: string;
  section: string;
}

/** Values in `.env.example` a user must replace; loadConfig refuses them (see PLACEHOLDERS in config.ts). */
export const EXAMPLE_VALUES: Record<string, string> = {
  PUBLIC_URL: 'https://orch.example.com',
  SLACK_BOT_TOKEN: 'xoxb-',
  ORCH_MODE: 'dry-run',
  LOG_LEVEL: 'info',
};

const SECTIONS: [RegExp, string][] = [
  [/^(PORT|PUBLIC_URL)$|^ORCH_METRICS_/, 'HTTP'],
  [/^(MONGODB_|NEO4J_)|^ORCH_(DATA_DIR|MONGO_|DB_)/, 'Storage'],
  [/^SLACK_/, 'Slack'],
  [/^HUBSPOT_/, 'HubSpot'],
  [/^(AIRTABLE|NOTION|OPENAI|GOOGLE)_/, 'Optional integrations (unset: the features that need them say "not configured")'],
  [/^ORCH_(DEBOUNCE|INGEST|TRIGGERS)_?/, 'Ingest (HubSpot webhooks)'],
  [/^ORCH_(RUN|RUNS|STEP|APPROVAL|SLA|ALERT)_?/, 'Workflows, approvals and alerts'],
  [/^ORCH_/, 'orch'],
];

export function sectionOf(key: string): string {
  return SECTIONS.find(([re]) => re.test(key))?.[1] ?? 'Other';
}

export function formatDurationMs(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function defaultText(schema: z.ZodType): string {
  const parsed = schema.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return '';
  const def = (schema as unknown as { _zod: { def: { type: string; innerType?: unknown } } })._zod.def;
  if (def.type === 'default' && def.innerType === duration && typeof parsed.data === 'number') return formatDurationMs(parsed.data);
  if (Array.isArray(parsed.data)) return parsed.data.join(',');
  return String(parsed.data);
}

/** Every key of the schema, in schema order, with what the docs say about it. */
export function describeConfig(): KeyDoc[] {
  // Only zod schemas: a half-edited schema must not stop the generator from listing the rest.
  const entries = Object.entries(configSchema.shape).filter(([, schema]) => typeof (schema as { safeParse?: unknown }).safeParse === 'function');
  return entries.map(([key, schema]) => {
    const s = schema as z.ZodType;
    const required = !s.safeParse(undefined).success;
    return { key, required, defaultText: defaultText(s), doc: CONFIG_HINTS[key] ?? '', section: sectionOf(key) };
  });
}

/** Schema keys without a doc line, and doc lines naming no schema key. */
export function docProblems(): { undocumented: string[]; stale: string[] } {
  const keys = Object.keys(configSchema.shape);
  return { undocumented: keys.filter((k) => !CONFIG_HINTS[k]), stale: Object.keys(CONFIG_HINTS).filter((k) => !keys.includes(k)) };
}

function grouped(): [string, KeyDoc[]][] {
  const groups = new Map<string, KeyDoc[]>();
  for (const d of describeConfig()) groups.set(d.section, [...(groups.get(d.section) ?? []), d]);
  return [...groups.entries()];
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

export function renderEnvExample(): string {
  const out = [
    '# orch configuration. Copy to .env and fill in. Empty values count as unset (the default applies).',
    '# GENERATED from src/config.ts by `npm run docs:config`: change the schema or its doc line (CONFIG_HINTS), not this file.',
    '# Values marked (required) must be set; the placeholders below are refused until replaced.',
  ];
  for (const [section, docs] of grouped()) {
    out.push('', `# --- ${section} ---`);
    for (const d of docs) {
      const doc = oneLine(d.doc) || '(undocumented)';
      const tail = d.defaultText ? ` [default: ${d.defaultText}]` : '';
      out.push(`# ${d.required ? '(required) ' : ''}${doc}${tail}`, `${d.key}=${EXAMPLE_VALUES[d.key] ?? ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}

const cell = (s: string) => oneLine(s).replace(/\|/g, '\\|');

export function renderConfigDoc(): string {
  const out = [
    '# Configuration',
    '',
    '<!-- GENERATED from src/config.ts by `npm run docs:config`; edit the schema or its doc line (CONFIG_HINTS), not this file. -->',
    '',
    'orch reads its environment once at start (a `.env` file is read when present) and validates it: a missing or invalid value stops the start with one line per problem, naming the variable and where its value comes from. [`.env.example`](../.env.example) lists the same variables. Durations are written `90s`, `15m`, `4h`, `3d`.',
  ];
  for (const [section, docs] of grouped()) {
    out.push('', `## ${section}`, '', '| Variable | Default | What it is |', '|---|---|---|');
    for (const d of docs) out.push(`| \`${d.key}\` | ${d.required ? '**required**' : d.defaultText ? `\`${cell(d.defaultText)}\`` : 'unset'} | ${cell(d.doc) || '(undocumented)'} |`);
  }
  return `${out.join('\n')}\n`;
}
