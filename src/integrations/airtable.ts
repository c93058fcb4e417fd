import Airtable from 'airtable';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { IntegrationError } from './errors.ts';
import { createResilience, type Health, type ResilienceOptions } from './resilience.ts';

export type AirtableFields = Record<string, unknown>;
export interface AirtableRecord {
  id: string;
  fields: AirtableFields;
  createdTime?: string;
}

export interface AirtableAdapter {
  /** One array per page (Airtable serves at most 100 records a page), following `offset`. */
  listPages(table: string, opts?: { pageSize?: number; fields?: string[]; filterByFormula?: string }): AsyncIterable<AirtableRecord[]>;
  findByField(table: string, field: string, value: string | number): Promise<AirtableRecord[]>;
  /** Creates or updates the one record whose `mergeField` equals `fields[mergeField]` (Airtable's performUpsert). */
  upsertBy(table: string, mergeField: string, fields: AirtableFields): Promise<{ id: string; created: boolean }>;
  update(table: string, id: string, fields: AirtableFields): Promise<AirtableRecord>;
  create(table: string, fields: AirtableFields): Promise<AirtableRecord>;
  /** Deletes one record; an already deleted one (404) counts as done, so a replay is harmless. */
  destroy(table: string, id: string): Promise<void>;
  health(): Promise<Health>;
  stop(): Promise<void>;
}

export interface AirtableOptions {
  apiKey: string | undefined;
  baseId: string | undefined;
  /** AIRTABLE_API_URL, no trailing slash. */
  endpointUrl: string;
  /** Airtable allows 5 requests per second per base. */
  ratePerSecond?: number;
  logger: Logger;
  /** Where the call/retry counters go (`ctx.metrics`); optional so callers outside the app can skip it. */
  metrics?: Pick<Metrics, 'registry'>;
  requestTimeoutMs?: number;
  resilience?: ResilienceOptions;
}

/** A string literal for an Airtable formula: backslashes and quotes escaped. */
export function formulaString(value: string | number): string {
  if (typeof value === 'number') return String(value);
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

interface ListBody {
  records: AirtableRecord[];
  offset?: string;
}
interface UpsertBody {
  records: AirtableRecord[];
  createdRecords?: string[];
  updatedRecords?: string[];
}

/** null unless both the API key and the base id are configured. */
export function createAirtable(opts: AirtableOptions): AirtableAdapter | null {
  if (!opts.apiKey || !opts.baseId) return null;
  // airtable.js retries a 429 by itself, with no attempt limit and delays up to 10 minutes,
  // ignoring Retry-After. Turned off so p-retry's bounded backoff is the only retry loop.
  const base = new Airtable({
    apiKey: opts.apiKey,
    endpointUrl: opts.endpointUrl,
    noRetryIfRateLimited: true,
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
  }).base(opts.baseId);
  const r = createResilience({
    service: 'airtable',
    logger: opts.logger,
    registry: opts.metrics?.registry,
    rateLimit: { max: opts.ratePerSecond ?? 5, windowMs: 1000, maxConcurrent: 5 },
    // Airtable asks for 30 s of quiet after a 429; the default backoff starts at 1 s and doubles.
    options: { retries: 5, minTimeoutMs: 1000, maxTimeoutMs: 30_000, timeoutMs: false, ...opts.resilience },
  });
  const path = (table: string, id?: string) => `/${encodeURIComponent(table)}${id ? `/${encodeURIComponent(id)}` : ''}`;
  const request = async <T>(op: string, o: { method?: string; path: string; qs?: Record<string, unknown>; body?: unknown }): Promise<T> => {
    const res = await r.call(op, () => base.makeRequest(o));
    return res.body as T;
  };
  const strip = (rec: AirtableRecord): AirtableRecord => ({ id: rec.id, fields: rec.fields ?? {}, ...(rec.createdTime ? { createdTime: rec.createdTime } : {}) });

  async function* listPages(table: string, o: { pageSize?: number; fields?: string[]; filterByFormula?: string } = {}) {
    let offset: string | undefined;
    do {
      const qs: Record<string, unknown> = { pageSize: Math.min(o.pageSize ?? 100, 100) };
      if (o.fields) qs.fields = o.fields;
      if (o.filterByFormula) qs.filterByFormula = o.filterByFormula;
      if (offset) qs.offset = offset;
      const page = await request<ListBody>('list', { path: path(table), qs });
      yield page.records.map(strip);
      offset = page.offset;
    } while (offset);
  }

  return {
    listPages,
    async findByField(table, field, value) {
      const out: AirtableRecord[] = [];
      for await (const page of listPages(table, { filterByFormula: `{${field}}=${formulaString(value)}` })) out.push(...page);
      return out;
    },
    async upsertBy(table, mergeField, fields) {
      if (fields[mergeField] === undefined || fields[mergeField] === null || fields[mergeField] === '') {
        throw new IntegrationError({ service: 'airtable', kind: 'invalid_input', message: `upsert needs a value for the merge field ${mergeField}` });
      }
      const body = await request<UpsertBody>('upsert', {
        method: 'PATCH',
        path: path(table),
        body: { performUpsert: { fieldsToMergeOn: [mergeField] }, records: [{ fields }], typecast: true },
      });
      const rec = body.records[0];
      if (!rec) throw new IntegrationError({ service: 'airtable', kind: 'external', message: 'upsert answered without a record' });
      return { id: rec.id, created: (body.createdRecords ?? []).includes(rec.id) };
    },
    async update(table, id, fields) {
      return strip(await request<AirtableRecord>('update', { method: 'PATCH', path: path(table, id), body: { fields, typecast: true } }));
    },
    async create(table, fields) {
      const body = await request<{ records: AirtableRecord[] }>('create', { method: 'POST', path: path(table), body: { records: [{ fields }], typecast: true } });
      const rec = body.records[0];
      if (!rec) throw new IntegrationError({ service: 'airtable', kind: 'external', message: 'create answered without a record' });
      return strip(rec);
    },
    async destroy(table, id) {
      try {
        await request<{ id: string; deleted: boolean }>('destroy', { method: 'DELETE', path: path(table, id) });
      } catch (err) {
        if (err instanceof IntegrationError && err.kind === 'not_found') return;
        throw err;
      }
    },
    health: async () => r.health(),
    stop: () => r.stop(),
  };
}
