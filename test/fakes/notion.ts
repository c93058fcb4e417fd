import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { FakeServer } from './base.ts';

type NotionProperty = { type: string; [k: string]: unknown };
export interface NotionPage {
  id: string;
  url: string;
  /** The database (and its single data source, same id) the page lives in, if any. */
  databaseId?: string;
  properties: Record<string, NotionProperty>;
  created_time: string;
  last_edited_time: string;
  archived: boolean;
  /** Blocks sent with pages.create (e.g. to_do items), as sent. */
  children?: { type?: string; [k: string]: unknown }[];
}
/** Simple values become Notion properties: string → rich_text, string[] → multi_select, number, boolean → checkbox. */
export type SimpleValue = string | number | boolean | string[] | NotionProperty;

/**
 * Notion fake (baseUrl = url): search, databases/:id (with one data source of the same id),
 * data source and legacy database queries with simple property filters, pages create/get/update.
 * Filters compare the property's plain value whatever its type, so `{property, select:{equals}}`
 * and `{property, rich_text:{equals}}` both work on a seeded string.
 */
export class NotionFake extends FakeServer {
  readonly pages = new Map<string, NotionPage>();
  readonly databases = new Map<string, { id: string; title: string }>();

  constructor() {
    super('notion');
    this.app.use('/v1', (req, res, next) => {
      if (/^Bearer \S+/.test(req.get('authorization') ?? '')) return next();
      res.status(401).json(this.error(401, 'unauthorized', 'API token is invalid.'));
    });
    this.app.post('/v1/search', (req, res) => this.search(req, res));
    this.app.get('/v1/databases/:id', (req, res) => this.getDatabase(req, res));
    this.app.post('/v1/databases/:id/query', (req, res) => this.query(req, res));
    this.app.post('/v1/data_sources/:id/query', (req, res) => this.query(req, res));
    this.app.post('/v1/pages', (req, res) => this.createPage(req, res));
    this.app.get('/v1/pages/:id', (req, res) => this.getPage(req, res));
    this.app.patch('/v1/pages/:id', (req, res) => this.updatePage(req, res));
  }

  addDatabase(db: { id?: string; title: string }): string {
    const id = db.id ?? randomUUID();
    this.databases.set(id, { id, title: db.title });
    return id;
  }

  addPage(p: { id?: string; title: string; url?: string; databaseId?: string; properties?: Record<string, SimpleValue> }): NotionPage {
    const id = p.id ?? randomUUID();
    const now = new Date().toISOString();
    const properties: Record<string, NotionProperty> = { Name: titleProp(p.title) };
    for (const [k, v] of Object.entries(p.properties ?? {})) properties[k] = toProperty(v);
    if (p.databaseId && !this.databases.has(p.databaseId)) this.addDatabase({ id: p.databaseId, title: 'Database' });
    const page: NotionPage = { id, url: p.url ?? pageUrl(p.title, id), properties, created_time: now, last_edited_time: now, archived: false, ...(p.databaseId ? { databaseId: p.databaseId } : {}) };
    this.pages.set(id, page);
    return page;
  }

  protected errorBody(status: number): unknown {
    if (status === 429) return this.error(429, 'rate_limited', 'You have been rate limited. Please try again in a few minutes.');
    if (status === 404) return this.error(404, 'object_not_found', 'Could not find object.');
    if (status >= 500) return this.error(status, status === 503 ? 'service_unavailable' : 'internal_server_error', 'Unexpected error occurred.');
    return this.error(status, 'validation_error', `status ${status}`);
  }

  protected clearState(): void {
    this.pages.clear();
    this.databases.clear();
  }

  private error(status: number, code: string, message: string) {
    return { object: 'error', status, code, message, request_id: randomUUID() };
  }

  private pageAnswer(p: NotionPage) {
    const parent = p.databaseId ? { type: 'data_source_id', data_source_id: p.databaseId, database_id: p.databaseId } : { type: 'workspace', workspace: true };
    return { object: 'page', id: p.id, created_time: p.created_time, last_edited_time: p.last_edited_time, archived: p.archived, in_trash: p.archived, parent, properties: p.properties, url: p.url, public_url: null, icon: null, cover: null };
  }

  private list(req: Request, res: Response, results: unknown[]): void {
    const body = (req.body ?? {}) as { page_size?: number; start_cursor?: string };
    const size = Math.min(100, Math.max(1, Number(body.page_size ?? 100)));
    const start = body.start_cursor ? Number(body.start_cursor) : 0;
    const page = results.slice(start, start + size);
    const more = start + size < results.length;
    res.json({ object: 'list', results: page, next_cursor: more ? String(start + size) : null, has_more: more, type: 'page_or_data_source', page_or_data_source: {} });
  }

  private search(req: Request, res: Response): void {
    const body = (req.body ?? {}) as { query?: string; filter?: { property?: string; value?: string } };
    const q = (body.query ?? '').toLowerCase();
    const kind = body.filter?.value;
    const pages = kind && kind !== 'page' ? [] : [...this.pages.values()].filter((p) => !p.archived && titleOf(p).toLowerCase().includes(q)).map((p) => this.pageAnswer(p));
    const sources = kind && kind !== 'data_source' && kind !== 'database' ? [] : [...this.databases.values()].filter((d) => d.title.toLowerCase().includes(q)).map((d) => ({ object: 'data_source', id: d.id, title: [richText(d.title)], database_parent: { type: 'database_id', database_id: d.id } }));
    this.list(req, res, [...pages, ...sources]);
  }

  private getDatabase(req: Request, res: Response): void {
    const db = this.databases.get(String(req.params.id));
    if (!db) {
      res.status(404).json(this.error(404, 'object_not_found', `Could not find database with ID: ${req.params.id}.`));
      return;
    }
    res.json({ object: 'database', id: db.id, title: [richText(db.title)], data_sources: [{ id: db.id, name: db.title }] });
  }

  private query(req: Request, res: Response): void {
    const id = String(req.params.id);
    if (!this.databases.has(id)) {
      res.status(404).json(this.error(404, 'object_not_found', `Could not find data source with ID: ${id}.`));
      return;
    }
    let pred: (p: NotionPage) => boolean;
    try {
      pred = compileFilter((req.body as { filter?: unknown } | undefined)?.filter);
    } catch (err) {
      res.status(400).json(this.error(400, 'validation_error', (err as Error).message));
      return;
    }
    this.list(req, res, [...this.pages.values()].filter((p) => p.databaseId === id && !p.archived && pred(p)).map((p) => this.pageAnswer(p)));
  }

  private createPage(req: Request, res: Response): void {
    const body = (req.body ?? {}) as { parent?: Record<string, string>; properties?: Record<string, NotionProperty>; children?: NotionPage['children'] };
    const parentId = body.parent?.data_source_id ?? body.parent?.database_id;
    if (!body.parent || !body.properties) {
      res.status(400).json(this.error(400, 'validation_error', 'body.parent and body.properties should be defined'));
      return;
    }
    const title = Object.values(body.properties).find((p) => Array.isArray((p as { title?: unknown }).title));
    const page = this.addPage({ title: title ? plainText((title as unknown as { title: unknown[] }).title) : 'Untitled', ...(parentId ? { databaseId: parentId } : {}) });
    for (const [k, v] of Object.entries(body.properties)) page.properties[k] = withType(v);
    if (Array.isArray(body.children)) page.children = body.children;
    res.json(this.pageAnswer(page));
  }

  private getPage(req: Request, res: Response): void {
    const page = this.pages.get(String(req.params.id));
    if (!page) {
      res.status(404).json(this.error(404, 'object_not_found', `Could not find page with ID: ${req.params.id}. Make sure the relevant pages and databases are shared with your integration.`));
      return;
    }
    res.json(this.pageAnswer(page));
  }

  private updatePage(req: Request, res: Response): void {
    const page = this.pages.get(String(req.params.id));
    if (!page) {
      res.status(404).json(this.error(404, 'object_not_found', `Could not find page with ID: ${req.params.id}.`));
      return;
    }
    const body = (req.body ?? {}) as { properties?: Record<string, NotionProperty>; archived?: boolean; in_trash?: boolean };
    for (const [k, v] of Object.entries(body.properties ?? {})) page.properties[k] = withType(v);
    if (body.archived !== undefined || body.in_trash !== undefined) page.archived = Boolean(body.archived ?? body.in_trash);
    page.last_edited_time = new Date().toISOString();
    res.json(this.pageAnswer(page));
  }
}

const richText = (content: string) => ({ type: 'text', text: { content, link: null }, plain_text: content, href: null, annotations: {} });
const titleProp = (title: string): NotionProperty => ({ id: 'title', type: 'title', title: [richText(title)] });
const pageUrl = (title: string, id: string) => `https://www.notion.so/${title.replace(/[^a-z0-9]+/gi, '-')}-${id.replace(/-/g, '')}`;
const plainText = (parts: unknown[]) => parts.map((p) => (p as { plain_text?: string; text?: { content?: string } }).plain_text ?? (p as { text?: { content?: string } }).text?.content ?? '').join('');
const titleOf = (p: NotionPage) => String(plainValue(Object.values(p.properties).find((x) => x.type === 'title')) ?? '');

function toProperty(v: SimpleValue): NotionProperty {
  if (typeof v === 'string') return { type: 'rich_text', rich_text: [richText(v)] };
  if (typeof v === 'number') return { type: 'number', number: v };
  if (typeof v === 'boolean') return { type: 'checkbox', checkbox: v };
  if (Array.isArray(v)) return { type: 'multi_select', multi_select: v.map((name) => ({ name })) };
  return v;
}

/** Page writes may omit `type`; infer it from the one value key present. */
function withType(v: NotionProperty): NotionProperty {
  if (v.type) return v;
  const key = Object.keys(v).find((k) => k !== 'id') ?? 'rich_text';
  return { ...v, type: key };
}

/** The property as a string (or list of strings) whatever its Notion type. */
function plainValue(p: NotionProperty | undefined): string | string[] | number | boolean | null {
  if (!p) return null;
  const v = p[p.type];
  if (Array.isArray(v)) {
    if (p.type === 'multi_select') return v.map((o) => (o as { name: string }).name);
    return plainText(v);
  }
  if (v && typeof v === 'object' && 'name' in v) return String((v as { name: string }).name);
  return (v as string | number | boolean | null | undefined) ?? null;
}

function compileFilter(filter: unknown): (p: NotionPage) => boolean {
  if (!filter) return () => true;
  const f = filter as Record<string, unknown>;
  if (Array.isArray(f.or)) {
    const parts = f.or.map(compileFilter);
    return (p) => parts.some((x) => x(p));
  }
  if (Array.isArray(f.and)) {
    const parts = f.and.map(compileFilter);
    return (p) => parts.every((x) => x(p));
  }
  if (typeof f.property !== 'string') throw new Error('filter: property, or, and are supported by the fake');
  const prop = f.property;
  const typeKey = Object.keys(f).find((k) => k !== 'property' && k !== 'type');
  const cond = (typeKey ? f[typeKey] : undefined) as Record<string, unknown> | undefined;
  if (!cond) throw new Error(`filter on ${prop} has no condition`);
  const op = ['equals', 'does_not_equal', 'contains', 'is_empty', 'is_not_empty'].find((k) => k in cond);
  if (!op) throw new Error(`filter condition ${Object.keys(cond).join(',')} is not supported by the fake`);
  const want = String(cond[op]);
  return (p) => {
    const v = plainValue(p.properties[prop]);
    const values = Array.isArray(v) ? v.map(String) : v === null || v === '' ? [] : [String(v)];
    if (op === 'equals') return values.includes(want);
    if (op === 'does_not_equal') return !values.includes(want);
    if (op === 'contains') return values.some((x) => x.toLowerCase().includes(want.toLowerCase()));
    return op === 'is_empty' ? values.length === 0 : values.length > 0;
  };
}
