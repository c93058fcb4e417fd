import type { AirtableFieldSpec, AirtableTableSpec } from './requirements.ts';

/** A table as Airtable's metadata API returns it. */
interface MetaTable {
  id: string;
  name: string;
  fields: { id: string; name: string; type: string }[];
}

export interface TableCheck {
  table: string;
  state: 'exists' | 'missing' | 'created' | 'failed';
  /** Fields the table lacks (dry run) or that were added (apply). */
  missingFields: string[];
  addedFields: string[];
  error?: string;
}

export interface AirtableSetupResult {
  ok: boolean;
  problem?: string;
  tables: TableCheck[];
}

export interface AirtableSetupOptions {
  apiKey: string;
  baseId: string;
  apiUrl: string;
  apply: boolean;
  specs: readonly AirtableTableSpec[];
  fetchImpl?: typeof fetch;
}

class MetaError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Airtable's metadata API (`/v0/meta/bases/{base}/tables`): lists the base's tables, and with
 * `apply` creates missing tables and fields. Needs a token with schema.bases:read (and
 * schema.bases:write to apply) on that base. airtable.js has no metadata calls, so this is fetch.
 */
function metaClient(opts: AirtableSetupOptions) {
  const doFetch = opts.fetchImpl ?? fetch;
  const base = `${opts.apiUrl}/v0/meta/bases/${encodeURIComponent(opts.baseId)}/tables`;
  const call = async <T>(path: string, body?: unknown): Promise<T> => {
    const res = await doFetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${opts.apiKey}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok) throw new MetaError(res.status, `${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  };
  return {
    list: async () => (await call<{ tables: MetaTable[] }>('')).tables,
    createTable: (body: unknown) => call<MetaTable>('', body),
    createField: (tableId: string, body: unknown) => call<{ id: string }>(`/${tableId}/fields`, body),
  };
}

/** The metadata API body of a field; links need the id of the table they point to. */
function fieldBody(f: AirtableFieldSpec, tableIds: Map<string, string>): Record<string, unknown> {
  if (f.type === 'multipleRecordLinks') {
    const linkedTableId = tableIds.get(f.linkTo);
    if (!linkedTableId) throw new Error(`field ${f.name} links to table ${f.linkTo}, which does not exist`);
    return { name: f.name, type: f.type, options: { linkedTableId } };
  }
  return 'options' in f ? { name: f.name, type: f.type, options: f.options } : { name: f.name, type: f.type };
}

function problemOf(err: unknown, opts: AirtableSetupOptions): string {
  const status = err instanceof MetaError ? err.status : 0;
  if (status === 401) return 'AIRTABLE_API_KEY was refused by Airtable (401): create a personal access token at airtable.com/create/tokens';
  if (status === 403) return `AIRTABLE_API_KEY may not read the schema of ${opts.baseId} (403): give the token the scopes schema.bases:read, schema.bases:write, data.records:read, data.records:write and access to this base`;
  if (status === 404) return `AIRTABLE_BASE_ID ${opts.baseId} was not found (404): copy the app… id from the base's URL`;
  return `Airtable could not be read at ${opts.apiUrl} (${(err as Error).message})`;
}

async function ensureTable(api: ReturnType<typeof metaClient>, spec: AirtableTableSpec, existing: MetaTable | undefined, tableIds: Map<string, string>, apply: boolean): Promise<TableCheck> {
  if (!existing) {
    if (!apply) return { table: spec.name, state: 'missing', missingFields: spec.fields.map((f) => f.name), addedFields: [] };
    const created = await api.createTable({ name: spec.name, description: spec.description, fields: spec.fields.map((f) => fieldBody(f, tableIds)) });
    tableIds.set(spec.name, created.id);
    return { table: spec.name, state: 'created', missingFields: [], addedFields: spec.fields.map((f) => f.name) };
  }
  const have = new Set(existing.fields.map((f) => f.name));
  const missing = spec.fields.filter((f) => !have.has(f.name));
  if (!apply || missing.length === 0) return { table: spec.name, state: 'exists', missingFields: missing.map((f) => f.name), addedFields: [] };
  for (const f of missing) await api.createField(existing.id, fieldBody(f, tableIds));
  return { table: spec.name, state: 'exists', missingFields: [], addedFields: missing.map((f) => f.name) };
}

export async function setupAirtable(opts: AirtableSetupOptions): Promise<AirtableSetupResult> {
  const api = metaClient(opts);
  let tables: MetaTable[];
  try {
    tables = await api.list();
  } catch (err) {
    return { ok: false, problem: problemOf(err, opts), tables: [] };
  }
  const byName = new Map(tables.map((t) => [t.name, t]));
  const tableIds = new Map(tables.map((t) => [t.name, t.id]));
  const checks: TableCheck[] = [];
  for (const spec of opts.specs) {
    try {
      checks.push(await ensureTable(api, spec, byName.get(spec.name), tableIds, opts.apply));
    } catch (err) {
      checks.push({ table: spec.name, state: 'failed', missingFields: [], addedFields: [], error: (err as Error).message });
    }
  }
  return { ok: checks.every((c) => c.state !== 'failed'), tables: checks };
}
