import { Client, LogLevel } from '@notionhq/client';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { createResilience, type Health, type ResilienceOptions } from './resilience.ts';

export interface NotionSop {
  id: string;
  title: string;
  url: string;
}

export interface NotionAdapter {
  /** The best-matching SOP page for an industry / lifecycle stage, or null when none matches. */
  findSop(q: { industry?: string | null; lifecycleStage?: string | null }): Promise<NotionSop | null>;
  health(): Promise<Health>;
  stop(): Promise<void>;
}

export interface NotionOptions {
  token: string | undefined;
  /** NOTION_API_URL, no trailing slash. */
  baseUrl: string;
  /** NOTION_SOP_DATABASE_ID: when set, SOPs come from that database instead of a workspace search. */
  sopDatabaseId?: string | undefined;
  logger: Logger;
  /** Where the call/retry counters go (`ctx.metrics`); optional so callers outside the app can skip it. */
  metrics?: Pick<Metrics, 'registry'>;
  timeoutMs?: number;
  resilience?: ResilienceOptions;
}

interface LoosePage {
  object?: string;
  id: string;
  url?: string;
  properties?: Record<string, { type?: string; title?: { plain_text?: string }[]; rich_text?: { plain_text?: string }[]; select?: { name?: string } | null; multi_select?: { name?: string }[]; status?: { name?: string } | null }>;
}

const norm = (s: string | null | undefined) => (s ?? '').trim().toLowerCase().replace(/[_-]+/g, ' ');

function titleOf(page: LoosePage): string {
  const prop = Object.values(page.properties ?? {}).find((p) => p.type === 'title' || Array.isArray(p.title));
  return (prop?.title ?? []).map((t) => t.plain_text ?? '').join('');
}

/** Every readable text of a page (title, selects, text properties), lower-cased, for matching. */
function textsOf(page: LoosePage): string[] {
  const out: string[] = [];
  for (const p of Object.values(page.properties ?? {})) {
    for (const t of [...(p.title ?? []), ...(p.rich_text ?? [])]) out.push(t.plain_text ?? '');
    if (p.select?.name) out.push(p.select.name);
    if (p.status?.name) out.push(p.status.name);
    for (const m of p.multi_select ?? []) out.push(m.name ?? '');
  }
  return out.map(norm).filter(Boolean);
}

/** Industry counts more than lifecycle stage; a page matching neither is not an SOP for this case. */
export function scoreSop(page: LoosePage, industry: string, lifecycle: string): number {
  const texts = textsOf(page);
  const has = (needle: string) => needle !== '' && texts.some((t) => t === needle || t.includes(needle));
  return (has(industry) ? 2 : 0) + (has(lifecycle) ? 1 : 0);
}

/** null when NOTION_TOKEN is not configured. */
export function createNotion(opts: NotionOptions): NotionAdapter | null {
  if (!opts.token) return null;
  const log = opts.logger;
  const client = new Client({
    auth: opts.token,
    baseUrl: opts.baseUrl,
    timeoutMs: opts.timeoutMs ?? 15_000,
    // The SDK's own retries are off: p-retry in resilience.ts is the only retry loop.
    retry: false,
    logLevel: LogLevel.WARN,
    logger: (level, message, extra) => log.log(level === LogLevel.ERROR ? 'error' : level === LogLevel.WARN ? 'warn' : 'debug', `notion: ${message}`, { extra }),
  });
  const r = createResilience({
    service: 'notion',
    logger: log,
    registry: opts.metrics?.registry,
    // Notion allows ~3 requests/s per integration.
    rateLimit: { max: 3, windowMs: 1000, maxConcurrent: 3 },
    options: { retries: 3, timeoutMs: false, ...opts.resilience },
  });
  let dataSourceId: string | undefined;

  /** API 2025-09-03: a database holds data sources; its first one is queried (looked up once). */
  async function sopPagesFromDatabase(databaseId: string): Promise<LoosePage[]> {
    if (!dataSourceId) {
      const db = (await r.call('databases.retrieve', () => client.databases.retrieve({ database_id: databaseId }))) as { data_sources?: { id: string }[] };
      dataSourceId = db.data_sources?.[0]?.id ?? databaseId;
    }
    const pages: LoosePage[] = [];
    let cursor: string | undefined;
    // SOP databases are small; five pages of 100 is a generous bound.
    for (let i = 0; i < 5; i++) {
      const id = dataSourceId;
      const start = cursor;
      const res = await r.call('dataSources.query', () => client.dataSources.query({ data_source_id: id, page_size: 100, ...(start ? { start_cursor: start } : {}) }));
      pages.push(...(res.results as LoosePage[]));
      if (!res.has_more || !res.next_cursor) break;
      cursor = res.next_cursor;
    }
    return pages;
  }

  async function sopPagesFromSearch(query: string): Promise<LoosePage[]> {
    const res = await r.call('search', () => client.search({ query, filter: { property: 'object', value: 'page' }, page_size: 50 }));
    return res.results as LoosePage[];
  }

  return {
    async findSop({ industry, lifecycleStage }) {
      const ind = norm(industry);
      const life = norm(lifecycleStage);
      if (!ind && !life) return null;
      const pages = opts.sopDatabaseId ? await sopPagesFromDatabase(opts.sopDatabaseId) : await sopPagesFromSearch(industry || lifecycleStage || '');
      let best: { page: LoosePage; score: number } | undefined;
      for (const page of pages) {
        if (page.object && page.object !== 'page') continue;
        const score = scoreSop(page, ind, life);
        if (score > 0 && (!best || score > best.score)) best = { page, score };
      }
      if (!best) return null;
      const { page } = best;
      return { id: page.id, title: titleOf(page) || 'SOP', url: page.url ?? `https://www.notion.so/${page.id.replace(/-/g, '')}` };
    },
    health: async () => r.health(),
    stop: () => r.stop(),
  };
}
