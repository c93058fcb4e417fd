import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { FakeServer } from './base.ts';
import { parseFormula, type FieldValue } from './airtable-formula.ts';
import { AirtableMeta } from './airtable-meta.ts';

export interface AirtableRecord {
  id: string;
  fields: Record<string, FieldValue>;
  createdTime: string;
}
type Input = { id?: string; fields?: Record<string, FieldValue> };

const MAX_PAGE = 100;
const MAX_WRITE = 10;
const newId = () => `rec${randomBytes(7).toString('hex').slice(0, 14)}`;

/**
 * Airtable REST fake (endpointUrl = url; `/v0/:baseId/:table`): list with pageSize/offset/
 * filterByFormula/fields[], get, create (≤10), update/replace one or many, upsert through
 * performUpsert.fieldsToMergeOn, delete. Tables appear when first used; a table declared with
 * defineTable() refuses unknown field names with 422 like Airtable does.
 */
export class AirtableFake extends FakeServer {
  readonly tables = new Map<string, Map<string, AirtableRecord>>();
  private readonly schemas = new Map<string, Set<string>>();
  /** The metadata API (tables and fields), as `npm run setup` uses it; tables made there validate writes. */
  readonly meta = new AirtableMeta((name, fields) => this.defineTable(name, fields));

  constructor() {
    super('airtable');
    this.app.use('/v0', (req, res, next) => {
      if (/^Bearer \S+/.test(req.get('authorization') ?? '')) return next();
      res.status(401).json({ error: { type: 'AUTHENTICATION_REQUIRED', message: 'Authentication required' } });
    });
    // Before the record routes: /v0/meta/... is not a base id.
    this.meta.install(this.app);
    this.app.get('/v0/:base/:table', (req, res) => this.list(req, res, req.query as Record<string, unknown>));
    this.app.post('/v0/:base/:table/listRecords', (req, res) => this.list(req, res, (req.body ?? {}) as Record<string, unknown>));
    this.app.get('/v0/:base/:table/:id', (req, res) => this.getOne(req, res));
    this.app.post('/v0/:base/:table', (req, res) => this.create(req, res));
    this.app.patch('/v0/:base/:table', (req, res) => this.updateMany(req, res, false));
    this.app.put('/v0/:base/:table', (req, res) => this.updateMany(req, res, true));
    this.app.patch('/v0/:base/:table/:id', (req, res) => this.updateOne(req, res, false));
    this.app.put('/v0/:base/:table/:id', (req, res) => this.updateOne(req, res, true));
    this.app.delete('/v0/:base/:table/:id', (req, res) => this.remove(req, res, [String(req.params.id)]));
    this.app.delete('/v0/:base/:table', (req, res) => this.remove(req, res, listOf((req.query as Record<string, unknown>)['records[]'] ?? req.query.records)));
  }

  /** The records of a table (Map id → record); created empty when unknown. */
  table(name: string): Map<string, AirtableRecord> {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new Map()));
    return t;
  }

  /** Declares a table's fields so writes with unknown field names fail with 422 UNKNOWN_FIELD_NAME. */
  defineTable(name: string, fields: string[]): void {
    this.schemas.set(name, new Set(fields));
    this.table(name);
  }

  /** Seeds a record directly; returns it. */
  add(tableName: string, fields: Record<string, FieldValue>, id = newId()): AirtableRecord {
    const rec = { id, fields: { ...fields }, createdTime: new Date().toISOString() };
    this.table(tableName).set(id, rec);
    return rec;
  }

  /** Airtable's per-base limit: more than perSecond requests in a rolling second get 429. */
  rateLimit({ perSecond }: { perSecond: number }): void {
    this.setRateLimit(1000, perSecond);
  }

  protected errorBody(status: number): unknown {
    if (status === 429) return { errors: [{ error: 'RATE_LIMIT_REACHED', message: 'Rate limit exceeded. Please try again later' }] };
    if (status === 404) return { error: 'NOT_FOUND' };
    if (status >= 500) return { error: { type: 'SERVER_ERROR', message: 'Server error' } };
    return { error: { type: 'INVALID_REQUEST_UNKNOWN', message: `status ${status}` } };
  }

  protected clearState(): void {
    this.tables.clear();
    this.schemas.clear();
    this.meta.clear();
  }

  private fail(res: Response, status: number, type: string, message: string): void {
    res.status(status).json({ error: { type, message } });
  }

  private unknownField(table: string, fields: Record<string, unknown> | undefined): string | undefined {
    const schema = this.schemas.get(table);
    if (!schema || !fields) return undefined;
    return Object.keys(fields).find((f) => !schema.has(f));
  }

  private list(req: Request, res: Response, params: Record<string, unknown>): void {
    const table = String(req.params.table);
    const pageSize = Number(params.pageSize ?? MAX_PAGE);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE) {
      this.fail(res, 422, 'INVALID_PAGE_SIZE', `pageSize must be between 1 and ${MAX_PAGE}`);
      return;
    }
    let predicate: (r: AirtableRecord) => boolean = () => true;
    if (typeof params.filterByFormula === 'string' && params.filterByFormula.trim()) {
      try {
        predicate = parseFormula(params.filterByFormula);
      } catch (err) {
        this.fail(res, 422, 'INVALID_FILTER_BY_FORMULA', `The formula for filtering records is invalid: ${(err as Error).message}`);
        return;
      }
    }
    const all = [...this.table(table).values()].filter(predicate);
    const maxRecords = params.maxRecords === undefined ? all.length : Number(params.maxRecords);
    const rows = all.slice(0, maxRecords);
    const start = typeof params.offset === 'string' && params.offset ? Number(params.offset.replace(/^itr/, '').split('/')[0]) : 0;
    if (!Number.isInteger(start) || start < 0) {
      this.fail(res, 422, 'LIST_RECORDS_ITERATOR_NOT_AVAILABLE', 'offset is invalid');
      return;
    }
    const fields = listOf(params['fields[]'] ?? params.fields);
    const page = rows.slice(start, start + pageSize).map((r) => project(r, fields));
    const next = start + pageSize < rows.length ? `itr${start + pageSize}/${page[page.length - 1]?.id}` : undefined;
    res.json({ records: page, ...(next ? { offset: next } : {}) });
  }

  private getOne(req: Request, res: Response): void {
    const rec = this.table(String(req.params.table)).get(String(req.params.id));
    if (!rec) {
      res.status(404).json({ error: { type: 'MODEL_ID_NOT_FOUND', message: `Could not find a record with ID "${req.params.id}".` } });
      return;
    }
    res.json(rec);
  }

  private create(req: Request, res: Response): void {
    const table = String(req.params.table);
    const body = (req.body ?? {}) as { records?: Input[]; fields?: Record<string, FieldValue> };
    const inputs = body.records ?? (body.fields ? [{ fields: body.fields }] : []);
    const problem = this.checkWrite(table, inputs);
    if (problem) {
      this.fail(res, 422, problem.type, problem.message);
      return;
    }
    const created = inputs.map((i) => this.add(table, i.fields ?? {}));
    res.json(body.records ? { records: created } : created[0]);
  }

  private updateMany(req: Request, res: Response, replace: boolean): void {
    const table = String(req.params.table);
    const body = (req.body ?? {}) as { records?: Input[]; performUpsert?: { fieldsToMergeOn?: string[] } };
    const inputs = body.records ?? [];
    const problem = this.checkWrite(table, inputs);
    if (problem) {
      this.fail(res, 422, problem.type, problem.message);
      return;
    }
    const mergeOn = body.performUpsert?.fieldsToMergeOn;
    if (mergeOn) {
      this.upsert(res, table, inputs, mergeOn, replace);
      return;
    }
    const missing = inputs.find((i) => !i.id || !this.table(table).has(i.id));
    if (missing) {
      this.fail(res, 422, 'ROW_DOES_NOT_EXIST', `Record ID ${missing.id ?? '(none)'} does not exist in this table`);
      return;
    }
    res.json({ records: inputs.map((i) => this.write(table, i.id as string, i.fields ?? {}, replace)) });
  }

  private upsert(res: Response, table: string, inputs: Input[], mergeOn: string[], replace: boolean): void {
    if (mergeOn.length === 0 || mergeOn.length > 3) {
      this.fail(res, 422, 'INVALID_MERGE_FIELD', 'fieldsToMergeOn must name 1 to 3 fields');
      return;
    }
    const createdRecords: string[] = [];
    const updatedRecords: string[] = [];
    const out: AirtableRecord[] = [];
    for (const input of inputs) {
      const fields = input.fields ?? {};
      const matches = [...this.table(table).values()].filter((r) => mergeOn.every((f) => String(r.fields[f] ?? '') === String(fields[f] ?? '')));
      if (matches.length > 1) {
        this.fail(res, 422, 'INVALID_MERGE_FIELD', `More than one record matches the merge fields ${mergeOn.join(', ')}`);
        return;
      }
      const match = matches[0];
      if (match) {
        out.push(this.write(table, match.id, fields, replace));
        updatedRecords.push(match.id);
      } else {
        const rec = this.add(table, fields);
        out.push(rec);
        createdRecords.push(rec.id);
      }
    }
    res.json({ records: out, createdRecords, updatedRecords });
  }

  private updateOne(req: Request, res: Response, replace: boolean): void {
    const table = String(req.params.table);
    const id = String(req.params.id);
    const fields = ((req.body ?? {}) as { fields?: Record<string, FieldValue> }).fields ?? {};
    const problem = this.checkWrite(table, [{ id, fields }]);
    if (problem) {
      this.fail(res, 422, problem.type, problem.message);
      return;
    }
    if (!this.table(table).has(id)) {
      res.status(404).json({ error: { type: 'MODEL_ID_NOT_FOUND', message: `Could not find a record with ID "${id}".` } });
      return;
    }
    res.json(this.write(table, id, fields, replace));
  }

  private remove(req: Request, res: Response, ids: string[]): void {
    const t = this.table(String(req.params.table));
    const missing = ids.find((id) => !t.has(id));
    if (missing) {
      res.status(404).json({ error: { type: 'MODEL_ID_NOT_FOUND', message: `Could not find a record with ID "${missing}".` } });
      return;
    }
    for (const id of ids) t.delete(id);
    const records = ids.map((id) => ({ id, deleted: true }));
    res.json(req.params.id ? records[0] : { records });
  }

  private write(table: string, id: string, fields: Record<string, FieldValue>, replace: boolean): AirtableRecord {
    const rec = this.table(table).get(id) as AirtableRecord;
    rec.fields = replace ? { ...fields } : { ...rec.fields, ...fields };
    // Airtable drops empty values instead of storing them.
    for (const [k, v] of Object.entries(rec.fields)) if (v === null || v === '' || v === undefined) delete rec.fields[k];
    return rec;
  }

  private checkWrite(table: string, inputs: Input[]): { type: string; message: string } | undefined {
    if (!Array.isArray(inputs) || inputs.length === 0) return { type: 'INVALID_REQUEST_MISSING_FIELDS', message: 'Could not find field "records" in the request body' };
    if (inputs.length > MAX_WRITE) return { type: 'INVALID_RECORDS', message: `You can write at most ${MAX_WRITE} records per request` };
    for (const i of inputs) {
      const unknown = this.unknownField(table, i.fields);
      if (unknown) return { type: 'UNKNOWN_FIELD_NAME', message: `Unknown field name: "${unknown}"` };
    }
    return undefined;
  }
}

function project(r: AirtableRecord, fields: string[]): AirtableRecord {
  if (fields.length === 0) return r;
  return { ...r, fields: Object.fromEntries(fields.filter((f) => f in r.fields).map((f) => [f, r.fields[f] as FieldValue])) };
}

function listOf(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}
