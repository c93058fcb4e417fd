import { Client, LogLevel } from '@notionhq/client';
import { LRUCache } from 'lru-cache';
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
  /** Up to `limit` pages matching a role (and seniority), best first, by the same scoring as findSop. */
  findTemplates(q: { role: string; seniority?: string | null }, limit?: number): Promise<NotionSop[]>;
  /** The first page of a database whose text property equals `value` (how replays find what they created). */
  findPageByProperty(databaseId: string, property: string, value: string): Promise<NotionSop | null>;
  /** A page in a database: title (property "Name"), text properties, then to-do and paragraph blocks. */
  createPage(input: NotionPageInput): Promise<NotionSop>;
  health(): Promise<Health>;
  stop(): Promise<void>;
}

export interface NotionPageInput {
  databaseId: string;
  title: string;
  /** Text (rich_text) properties, e.g. { 'HubSpot Id': '51' }. */
  properties?: Record<string, string>;
  todos?: string[];
  paragraphs?: string[];
}

const text = (content: string) => [{ type: 'text' as const, text: { content: content.slice(0, 2000) } }];

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

function pageLink(page: LoosePage, fallbackTitle: string): NotionSop {
  return { id: page.id, title: titleOf(page) || fallbackTitle, url: page.url ?? `https://www.notion.so/${page.id.replace(/-/g, '')}` };
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
  const dataSources = new Map<string, string>();

  /** API 2025-09-03: a database holds data sources; its first one is queried (looked up once per database). */
  async function dataSourceOf(databaseId: string): Promise<string> {
    const known = dataSources.get(databaseId);
    if (known) return known;
    const db = (await r.call('databases.retrieve', () => client.databases.retrieve({ database_id: databaseId }))) as { data_sources?: { id: string }[] };
    const id = db.data_sources?.[0]?.id ?? databaseId;
    dataSources.set(databaseId, id);
    return id;
  }

  // SOP and template pages change rarely, while every run looks them up: a minute-long cache keeps
  // busy hours inside Notion's 3 requests/s (an SOP added in Notion shows up within a minute).
  const sopCache = new LRUCache<string, Promise<LoosePage[]>>({ max: 200, ttl: 60_000 });
  function cachedPages(key: string, load: () => Promise<LoosePage[]>): Promise<LoosePage[]> {
    const hit = sopCache.get(key);
    if (hit) return hit;
    const p = load();
    sopCache.set(key, p);
    p.catch(() => sopCache.delete(key));
    return p;
  }

  async function sopPagesFromDatabase(databaseId: string): Promise<LoosePage[]> {
    const dataSourceId = await dataSourceOf(databaseId);
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
      const query = industry || lifecycleStage || '';
      const pages = opts.sopDatabaseId ? await cachedPages(`db:${opts.sopDatabaseId}`, () => sopPagesFromDatabase(opts.sopDatabaseId as string)) : await cachedPages(`search:${query}`, () => sopPagesFromSearch(query));
      let best: { page: LoosePage; score: number } | undefined;
      for (const page of pages) {
        if (page.object && page.object !== 'page') continue;
        const score = scoreSop(page, ind, life);
        if (score > 0 && (!best || score > best.score)) best = { page, score };
      }
      if (!best) return null;
      return pageLink(best.page, 'SOP');
    },
    async findTemplates({ role, seniority }, limit = 3) {
      const ind = norm(role);
      if (!ind) return [];
      const pages = opts.sopDatabaseId ? await cachedPages(`db:${opts.sopDatabaseId}`, () => sopPagesFromDatabase(opts.sopDatabaseId as string)) : await cachedPages(`search:${role}`, () => sopPagesFromSearch(role));
      return pages
        .filter((p) => !p.object || p.object === 'page')
        .map((page) => ({ page, score: scoreSop(page, ind, norm(seniority)) }))
        .filter((x) => x.score >= 2)
        .sort((a, b) => b.score - a.score)
        .slice(0, limit)
        .map(({ page }) => pageLink(page, 'Template'));
    },
    async findPageByProperty(databaseId, property, value) {
      const id = await dataSourceOf(databaseId);
      const res = await r.call('dataSources.query', () => client.dataSources.query({ data_source_id: id, page_size: 1, filter: { property, rich_text: { equals: value } } }));
      const page = res.results[0] as LoosePage | undefined;
      return page ? pageLink(page, 'Page') : null;
    },
    async createPage(input) {
      const id = await dataSourceOf(input.databaseId);
      const properties: Record<string, unknown> = { Name: { title: text(input.title) } };
      for (const [k, v] of Object.entries(input.properties ?? {})) properties[k] = { rich_text: text(v) };
      const children = [
        ...(input.paragraphs ?? []).map((p) => ({ object: 'block' as const, type: 'paragraph' as const, paragraph: { rich_text: text(p) } })),
        ...(input.todos ?? []).map((t) => ({ object: 'block' as const, type: 'to_do' as const, to_do: { rich_text: text(t), checked: false } })),
      ].slice(0, 100);
      const page = await r.call('pages.create', () => client.pages.create({ parent: { type: 'data_source_id', data_source_id: id }, properties: properties as never, children }));
      return pageLink(page as LoosePage, input.title);
    },
    health: async () => r.health(),
    stop: () => r.stop(),
  };
}
