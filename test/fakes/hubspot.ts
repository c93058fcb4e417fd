import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { FakeServer, counter } from './base.ts';
import { PropertyStore } from './hubspot-properties.ts';

export interface HubSpotObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
}
export interface HubSpotOwner {
  id: string;
  email: string;
  firstName?: string;
  lastName?: string;
  userId?: number;
}

const TYPE_ALIASES: Record<string, string> = {
  company: 'companies', companies: 'companies', '0-2': 'companies',
  contact: 'contacts', contacts: 'contacts', '0-1': 'contacts',
  deal: 'deals', deals: 'deals', '0-3': 'deals',
  line_item: 'line_items', line_items: 'line_items', '0-8': 'line_items',
};
/** HubSpot-defined association type ids (v4), from → to. */
const ASSOCIATION_TYPE_IDS: Record<string, number> = {
  'contacts>companies': 1, 'companies>contacts': 2, 'deals>contacts': 3, 'contacts>deals': 4,
  'deals>companies': 5, 'companies>deals': 6, 'deals>line_items': 19, 'line_items>deals': 20,
};
const SINGULAR: Record<string, string> = { companies: 'COMPANY', contacts: 'CONTACT', deals: 'DEAL', line_items: 'LINE_ITEM' };

export const normalizeType = (t: string): string => TYPE_ALIASES[t.toLowerCase()] ?? t.toLowerCase();

/**
 * HubSpot CRM fake (basePath = url): objects v3 (get, batch read, list with paging, create,
 * update), associations v4, owners v3. Errors in HubSpot's JSON shape; optional real rate limit.
 */
export class HubSpotFake extends FakeServer {
  /** type → id → object; associations are stored once per pair and read both ways. */
  readonly objects = new Map<string, Map<string, HubSpotObject>>();
  readonly owners = new Map<string, HubSpotOwner>();
  /** Custom properties (properties API), by plural object type; `npm run setup` creates orch's. */
  readonly properties = new PropertyStore();
  private readonly links = new Set<string>();
  /** type:mergedId → primary id: HubSpot still answers reads of a merged-away id with the survivor. */
  private readonly mergedInto = new Map<string, string>();
  private nextId = counter(9_000_000_001);

  constructor() {
    super('hubspot');
    this.app.use('/crm', (req, res, next) => {
      if (/^Bearer \S+/.test(req.get('authorization') ?? '')) return next();
      res.status(401).json(this.error('INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication.'));
    });
    this.app.get('/crm/v3/owners/:id', (req, res) => this.getOwner(req, res));
    this.properties.install(this.app, (category, message) => this.error(category, message));
    this.app.get('/crm/v3/objects/:type/:id', (req, res) => this.getOne(req, res));
    this.app.post('/crm/v3/objects/:type/batch/read', (req, res) => this.batchRead(req, res));
    this.app.patch('/crm/v3/objects/:type/:id', (req, res) => this.update(req, res));
    this.app.get('/crm/v3/objects/:type', (req, res) => this.list(req, res));
    this.app.post('/crm/v3/objects/:type', (req, res) => this.create(req, res));
    this.app.get('/crm/v4/objects/:from/:id/associations/:to', (req, res) => this.associations(req, res));
  }

  /** Creates or replaces an object; `associations` = { contacts: ['1'], deals: [...] }. */
  put(type: string, obj: { id: string; properties?: Record<string, string | null>; associations?: Record<string, string[]> }): HubSpotObject {
    const t = normalizeType(type);
    const now = new Date().toISOString();
    const prev = this.store(t).get(obj.id);
    const stored: HubSpotObject = {
      id: obj.id,
      createdAt: prev?.createdAt ?? now,
      updatedAt: obj.properties?.hs_lastmodifieddate ?? now,
      properties: { hs_object_id: obj.id, createdate: prev?.createdAt ?? now, hs_lastmodifieddate: now, ...obj.properties },
    };
    this.store(t).set(obj.id, stored);
    for (const [toType, ids] of Object.entries(obj.associations ?? {})) for (const to of ids) this.associate(t, obj.id, toType, to);
    return stored;
  }

  get(type: string, id: string): HubSpotObject | undefined {
    return this.store(normalizeType(type)).get(id);
  }

  remove(type: string, id: string): void {
    const t = normalizeType(type);
    this.store(t).delete(id);
    for (const link of [...this.links]) if (link.split('|').some((end) => end === `${t}:${id}`)) this.links.delete(link);
  }

  /** Merges `mergedId` into `primaryId`: the merged object disappears, its links move over. */
  merge(type: string, primaryId: string, mergedId: string): void {
    const t = normalizeType(type);
    for (const link of [...this.links]) {
      const ends = link.split('|');
      const other = ends.find((e) => e !== `${t}:${mergedId}`);
      if (other && ends.includes(`${t}:${mergedId}`)) {
        const [ot, oid] = other.split(':') as [string, string];
        this.associate(t, primaryId, ot, oid);
      }
    }
    this.remove(t, mergedId);
    this.mergedInto.set(`${t}:${mergedId}`, primaryId);
    const primary = this.store(t).get(primaryId);
    if (primary) primary.properties.hs_merged_object_ids = [primary.properties.hs_merged_object_ids, mergedId].filter(Boolean).join(';');
  }

  associate(fromType: string, fromId: string, toType: string, toId: string): void {
    const a = `${normalizeType(fromType)}:${fromId}`;
    const b = `${normalizeType(toType)}:${toId}`;
    this.links.add([a, b].sort().join('|'));
  }

  addOwner(owner: HubSpotOwner): void {
    this.owners.set(owner.id, owner);
  }

  /** Enforces the private-app burst limit: more than per10s calls in a rolling 10 s get 429. */
  rateLimit({ per10s }: { per10s: number }): void {
    this.setRateLimit(10_000, per10s);
  }

  protected override rateLimitHeaders(): Record<string, string> {
    return { 'X-HubSpot-RateLimit-Interval-Milliseconds': '10000', 'X-HubSpot-RateLimit-Remaining': '0' };
  }

  protected errorBody(status: number): unknown {
    if (status === 429) {
      return { status: 'error', message: 'You have reached your ten_secondly_rolling limit.', errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: 'TEN_SECONDLY_ROLLING', groupName: 'publicapi:private-app:fake' };
    }
    if (status === 404) return this.error('OBJECT_NOT_FOUND', 'resource not found');
    if (status >= 500) return this.error('INTERNAL_ERROR', 'internal error');
    return this.error('VALIDATION_ERROR', `status ${status}`);
  }

  protected clearState(): void {
    this.objects.clear();
    this.owners.clear();
    this.properties.clear();
    this.links.clear();
    this.mergedInto.clear();
  }

  private error(category: string, message: string, context?: unknown) {
    return { status: 'error', message, correlationId: randomUUID(), category, ...(context ? { context } : {}) };
  }

  private store(type: string): Map<string, HubSpotObject> {
    let s = this.objects.get(type);
    if (!s) this.objects.set(type, (s = new Map()));
    return s;
  }

  private linked(fromType: string, id: string, toType: string): string[] {
    const me = `${fromType}:${id}`;
    const out: string[] = [];
    for (const link of this.links) {
      const ends = link.split('|');
      if (!ends.includes(me)) continue;
      const other = ends.find((e) => e !== me) ?? me;
      const [t, oid] = other.split(':') as [string, string];
      if (t === toType) out.push(oid);
    }
    return out.sort(compareIds);
  }

  /** The v3 object answer: requested properties (null when unset), optional associations. */
  private view(type: string, o: HubSpotObject, properties: string[] | undefined, withAssociations: string[] = []) {
    const base = ['hs_object_id', 'createdate', 'hs_lastmodifieddate'];
    const props = properties?.length ? Object.fromEntries([...base, ...properties].map((p) => [p, o.properties[p] ?? null])) : { ...o.properties };
    const associations: Record<string, unknown> = {};
    for (const to of withAssociations.map(normalizeType)) {
      const ids = this.linked(type, o.id, to);
      if (ids.length) associations[to] = { results: ids.map((id) => ({ id, type: `${SINGULAR[type]?.toLowerCase()}_to_${SINGULAR[to]?.toLowerCase()}` })) };
    }
    return { id: o.id, properties: props, createdAt: o.createdAt, updatedAt: o.updatedAt, archived: false, ...(Object.keys(associations).length ? { associations } : {}) };
  }

  private getOne(req: Request, res: Response): void {
    const type = normalizeType(String(req.params.type));
    const id = String(req.params.id);
    const o = this.store(type).get(id) ?? this.store(type).get(this.mergedInto.get(`${type}:${id}`) ?? '');
    if (!o) {
      res.status(404).json(this.error('OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.', { id: [id] }));
      return;
    }
    res.json(this.view(type, o, listParam(req.query.properties), listParam(req.query.associations)));
  }

  private batchRead(req: Request, res: Response): void {
    const type = normalizeType(String(req.params.type));
    const body = (req.body ?? {}) as { inputs?: { id: string }[]; properties?: string[] };
    if (!Array.isArray(body.inputs)) {
      res.status(400).json(this.error('VALIDATION_ERROR', 'Invalid input JSON: inputs is required'));
      return;
    }
    if (body.inputs.length > 100) {
      res.status(400).json(this.error('VALIDATION_ERROR', 'Batch input limit exceeded: at most 100 inputs'));
      return;
    }
    const startedAt = new Date().toISOString();
    const found = body.inputs.map((i) => this.store(type).get(String(i.id))).filter((o): o is HubSpotObject => Boolean(o));
    const missing = body.inputs.map((i) => String(i.id)).filter((id) => !this.store(type).has(id));
    const results = found.map((o) => this.view(type, o, body.properties));
    const answer = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
    if (missing.length === 0) {
      res.json(answer);
      return;
    }
    const message = `Could not get some ${SINGULAR[type] ?? type.toUpperCase()} objects, they may be deleted or not exist. Check that ids are valid.`;
    res.status(207).json({ ...answer, numErrors: 1, errors: [{ status: 'error', category: 'OBJECT_NOT_FOUND', message, context: { ids: missing } }] });
  }

  private update(req: Request, res: Response): void {
    const type = normalizeType(String(req.params.type));
    const o = this.store(type).get(String(req.params.id));
    const props = (req.body as { properties?: Record<string, string | null> } | undefined)?.properties;
    if (!o) {
      res.status(404).json(this.error('OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.', { id: [String(req.params.id)] }));
      return;
    }
    if (!props || typeof props !== 'object') {
      res.status(400).json(this.error('VALIDATION_ERROR', 'Invalid input JSON: properties is required'));
      return;
    }
    const now = new Date().toISOString();
    Object.assign(o.properties, props, { hs_lastmodifieddate: now });
    o.updatedAt = now;
    res.json(this.view(type, o, undefined));
  }

  private create(req: Request, res: Response): void {
    const type = normalizeType(String(req.params.type));
    const props = (req.body as { properties?: Record<string, string> } | undefined)?.properties ?? {};
    const o = this.put(type, { id: String(this.nextId()), properties: props });
    res.status(201).json(this.view(type, o, undefined));
  }

  private list(req: Request, res: Response): void {
    const type = normalizeType(String(req.params.type));
    const limit = Math.min(100, Math.max(1, Number(req.query.limit ?? 10) || 10));
    const after = req.query.after === undefined ? undefined : String(req.query.after);
    const all = [...this.store(type).values()].sort((a, b) => compareIds(a.id, b.id));
    const rest = after === undefined ? all : all.filter((o) => compareIds(o.id, after) > 0);
    const page = rest.slice(0, limit);
    const props = listParam(req.query.properties);
    const next = rest.length > limit ? page[page.length - 1]?.id : undefined;
    res.json({
      results: page.map((o) => this.view(type, o, props, listParam(req.query.associations))),
      ...(next ? { paging: { next: { after: next, link: `${this.url}/crm/v3/objects/${type}?after=${next}` } } } : {}),
    });
  }

  private associations(req: Request, res: Response): void {
    const from = normalizeType(String(req.params.from));
    const to = normalizeType(String(req.params.to));
    const id = String(req.params.id);
    if (!this.store(from).has(id)) {
      res.status(404).json(this.error('OBJECT_NOT_FOUND', `${SINGULAR[from] ?? from} ${id} does not exist`));
      return;
    }
    const typeId = ASSOCIATION_TYPE_IDS[`${from}>${to}`] ?? 0;
    res.json({ results: this.linked(from, id, to).map((toId) => ({ toObjectId: Number.isFinite(Number(toId)) ? Number(toId) : toId, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId, label: null }] })) });
  }

  private getOwner(req: Request, res: Response): void {
    const o = this.owners.get(String(req.params.id));
    if (!o) {
      res.status(404).json(this.error('OBJECT_NOT_FOUND', 'Owner not found'));
      return;
    }
    res.json({ id: o.id, email: o.email, firstName: o.firstName ?? '', lastName: o.lastName ?? '', userId: o.userId ?? Number(o.id), archived: false, createdAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString() });
  }
}

/** Numeric ids in numeric order (as HubSpot pages), anything else lexically. */
function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
}

/** HubSpot takes lists as `a,b` or as repeated parameters. */
function listParam(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const parts = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(','));
  return parts.map((s) => s.trim()).filter(Boolean);
}
