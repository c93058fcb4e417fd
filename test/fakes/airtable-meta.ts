import { randomBytes } from 'node:crypto';
import type { Express, Request, Response } from 'express';

export interface MetaField {
  id: string;
  name: string;
  type: string;
  options?: Record<string, unknown>;
}
export interface MetaTable {
  id: string;
  name: string;
  description?: string;
  primaryFieldId: string;
  fields: MetaField[];
}

const id = (prefix: string) => `${prefix}${randomBytes(7).toString('hex').slice(0, 14)}`;
const TYPES = new Set(['singleLineText', 'multilineText', 'email', 'phoneNumber', 'url', 'number', 'dateTime', 'multipleRecordLinks', 'checkbox', 'singleSelect']);
const error = (type: string, message: string) => ({ error: { type, message } });

/**
 * Airtable's metadata API in the fake: `GET /v0/meta/bases/:base/tables`, `POST` to it (create a
 * table) and `POST .../tables/:table/fields` (add a field). Validates what Airtable validates and
 * orch relies on: known field types, `number` with `options.precision`, `multipleRecordLinks` with an
 * existing `options.linkedTableId`, unique names. `onSchema` tells the record side which fields exist.
 */
export class AirtableMeta {
  readonly tables = new Map<string, MetaTable>();
  private readonly onSchema: (table: string, fields: string[]) => void;

  constructor(onSchema: (table: string, fields: string[]) => void) {
    this.onSchema = onSchema;
  }

  clear(): void {
    this.tables.clear();
  }

  /** Declares an existing table (as if made by hand in the Airtable UI). */
  define(name: string, fields: { name: string; type?: string }[]): MetaTable {
    const built = fields.map((f) => ({ id: id('fld'), name: f.name, type: f.type ?? 'singleLineText' }));
    const t = { id: id('tbl'), name, primaryFieldId: built[0]?.id ?? '', fields: built };
    this.tables.set(name, t);
    this.onSchema(name, built.map((f) => f.name));
    return t;
  }

  private fieldProblem(f: Partial<MetaField>): string | null {
    if (!f.name || !f.type || !TYPES.has(f.type)) return `field ${f.name ?? '?'}: unknown or missing type ${f.type ?? ''}`;
    if (f.type === 'number' && typeof f.options?.precision !== 'number') return `field ${f.name}: number needs options.precision`;
    if (f.type === 'multipleRecordLinks' && ![...this.tables.values()].some((t) => t.id === f.options?.linkedTableId)) return `field ${f.name}: options.linkedTableId names no table`;
    return null;
  }

  install(app: Express): void {
    app.get('/v0/meta/bases/:base/tables', (_req: Request, res: Response) => void res.json({ tables: [...this.tables.values()] }));
    app.post('/v0/meta/bases/:base/tables', (req: Request, res: Response) => {
      const b = (req.body ?? {}) as { name?: string; description?: string; fields?: Partial<MetaField>[] };
      if (!b.name || !Array.isArray(b.fields) || b.fields.length === 0) return void res.status(422).json(error('INVALID_REQUEST_UNKNOWN', 'name and at least one field are required'));
      if (this.tables.has(b.name)) return void res.status(422).json(error('DUPLICATE_TABLE_NAME', `table ${b.name} exists`));
      const problem = b.fields.map((f) => this.fieldProblem(f)).find(Boolean);
      if (problem) return void res.status(422).json(error('INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE', problem));
      const fields = b.fields.map((f) => ({ id: id('fld'), name: f.name as string, type: f.type as string, ...(f.options ? { options: f.options } : {}) }));
      const t: MetaTable = { id: id('tbl'), name: b.name, ...(b.description ? { description: b.description } : {}), primaryFieldId: fields[0]?.id as string, fields };
      this.tables.set(t.name, t);
      this.onSchema(t.name, fields.map((f) => f.name));
      res.json(t);
    });
    app.post('/v0/meta/bases/:base/tables/:table/fields', (req: Request, res: Response) => {
      const t = [...this.tables.values()].find((x) => x.id === req.params.table || x.name === req.params.table);
      if (!t) return void res.status(404).json({ error: 'NOT_FOUND' });
      const f = (req.body ?? {}) as Partial<MetaField>;
      const problem = this.fieldProblem(f) ?? (t.fields.some((x) => x.name === f.name) ? `field ${f.name} exists` : null);
      if (problem) return void res.status(422).json(error('INVALID_REQUEST_UNKNOWN', problem));
      const field = { id: id('fld'), name: f.name as string, type: f.type as string, ...(f.options ? { options: f.options } : {}) };
      t.fields.push(field);
      this.onSchema(t.name, t.fields.map((x) => x.name));
      res.json(field);
    });
  }
}
