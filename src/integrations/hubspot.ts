import { Client } from '@hubspot/api-client';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { IntegrationError, classifyError } from './errors.ts';
import { createResilience, type Health, type ResilienceOptions } from './resilience.ts';

export interface HubSpotObject {
  id: string;
  properties: Record<string, string | null>;
  /** Associated ids by object type (e.g. `{ contacts: ['51'] }`), when asked for. */
  associations?: Record<string, string[]>;
  updatedAt?: string;
  archived?: boolean;
}

export interface HubSpotOwner {
  id: string;
  email: string | null;
  name: string | null;
}

export interface HubSpotAdapter {
  /** null when the object does not exist (404). */
  getObject(type: string, id: string, properties: string[], associations?: string[]): Promise<HubSpotObject | null>;
  /** Missing ids are simply absent from the map. Chunks of 100 (HubSpot's batch limit). */
  batchRead(type: string, ids: string[], properties: string[]): Promise<Map<string, HubSpotObject>>;
  updateObject(type: string, id: string, properties: Record<string, string | null>): Promise<HubSpotObject>;
  listObjects(type: string, opts: { after?: string; limit?: number; properties: string[] }): Promise<{ results: HubSpotObject[]; after?: string }>;
  /** Every associated id (follows paging). */
  getAssociations(fromType: string, id: string, toType: string): Promise<string[]>;
  /** The owner's email (CRM owners API), null when the owner does not exist. */
  getOwnerEmail(ownerId: string): Promise<string | null>;
  /** The owner's name and email (CRM owners API), null when the owner does not exist. */
  getOwner(ownerId: string): Promise<HubSpotOwner | null>;
  health(): Promise<Health>;
  stop(): Promise<void>;
}

export interface HubSpotOptions {
  accessToken: string | undefined;
  /** HUBSPOT_API_URL, no trailing slash. */
  basePath: string;
  /** Requests per rolling 10 s (HUBSPOT_RATE_LIMIT, default 190). */
  ratePer10s?: number;
  logger: Logger;
  /** Where the call/retry counters go (`ctx.metrics`); optional so callers outside the app can skip it. */
  metrics?: Pick<Metrics, 'registry'>;
  retries?: number;
  /** Backoff and breaker tuning (tests shorten them). */
  resilience?: ResilienceOptions;
}

const BATCH = 100;

interface SdkObject {
  id: string;
  properties: Record<string, string | null>;
  associations?: Record<string, { results: { id: string }[] }>;
  updatedAt?: Date;
  archived?: boolean;
}

function toObject(o: SdkObject): HubSpotObject {
  const out: HubSpotObject = { id: String(o.id), properties: { ...o.properties } };
  if (o.associations) {
    out.associations = Object.fromEntries(Object.entries(o.associations).map(([type, c]) => [type, c.results.map((r) => String(r.id))]));
  }
  if (o.updatedAt) out.updatedAt = new Date(o.updatedAt).toISOString();
  if (o.archived !== undefined) out.archived = o.archived;
  return out;
}

/**
 * HubSpot's daily quota (policyName DAILY) resets at midnight in the portal's time zone: retrying
 * within seconds is pointless, so it is reported with a long Retry-After, which p-retry won't wait for.
 */
export function classifyHubSpot(err: unknown): IntegrationError {
  const e = classifyError('hubspot', err);
  const policy = ((err as { body?: { policyName?: unknown } } | null)?.body?.policyName ?? '') as string;
  if (e.kind === 'rate_limited' && policy === 'DAILY') {
    return new IntegrationError({ service: 'hubspot', kind: 'rate_limited', status: 429, message: 'daily API quota reached (resets at midnight, portal time)', retryAfterMs: 3_600_000, cause: err });
  }
  return e;
}

/** null when no access token is configured. */
export function createHubSpot(opts: HubSpotOptions): HubSpotAdapter | null {
  if (!opts.accessToken) return null;
  // numberOfApiCallRetries unset = the SDK adds no retry decorator: ours are the only retries.
  const client = new Client({ accessToken: opts.accessToken, basePath: opts.basePath });
  // The SDK applies decorators from a process-wide singleton when an API object is first built;
  // building ours now pins "no decorators" even if another Client is constructed later.
  const objects = client.crm.objects.basicApi;
  const batch = client.crm.objects.batchApi;
  const assoc = client.crm.associations.v4.basicApi;
  const owners = client.crm.owners.ownersApi;
  const r = createResilience({
    service: 'hubspot',
    classify: classifyHubSpot,
    logger: opts.logger,
    registry: opts.metrics?.registry,
    rateLimit: { max: opts.ratePer10s ?? 190, windowMs: 10_000 },
    options: { retries: opts.retries ?? 3, ...opts.resilience },
  });

  return {
    async getObject(type, id, properties, associations) {
      try {
        const o = await r.call('getObject', () => objects.getById(type, id, properties, undefined, associations));
        return toObject(o as SdkObject);
      } catch (err) {
        if (err instanceof IntegrationError && err.kind === 'not_found') return null;
        throw err;
      }
    },
    async batchRead(type, ids, properties) {
      const out = new Map<string, HubSpotObject>();
      const unique = [...new Set(ids.map(String))];
      for (let i = 0; i < unique.length; i += BATCH) {
        const inputs = unique.slice(i, i + BATCH).map((id) => ({ id }));
        // A 207 answer lists the missing ids under `errors`; the found ones are in `results`.
        const res = await r.call('batchRead', () => batch.read(type, { inputs, properties, propertiesWithHistory: [] }));
        for (const o of res.results) out.set(String(o.id), toObject(o as SdkObject));
      }
      return out;
    },
    async updateObject(type, id, properties) {
      const o = await r.call('updateObject', () => objects.update(type, id, { properties: properties as Record<string, string> }));
      return toObject(o as SdkObject);
    },
    async listObjects(type, { after, limit = 100, properties }) {
      const page = await r.call('listObjects', () => objects.getPage(type, limit, after, properties));
      const next = page.paging?.next?.after;
      return { results: page.results.map((o) => toObject(o as SdkObject)), ...(next ? { after: next } : {}) };
    },
    async getOwnerEmail(ownerId) {
      if (!/^\d+$/.test(ownerId)) return null;
      try {
        const o = await r.call('getOwner', () => owners.getById(Number(ownerId)));
        return o.email ?? null;
      } catch (err) {
        if (err instanceof IntegrationError && err.kind === 'not_found') return null;
        throw err;
      }
    },
    async getOwner(ownerId) {
      if (!/^\d+$/.test(ownerId)) return null;
      try {
        const o = await r.call('getOwner', () => owners.getById(Number(ownerId)));
        const name = [o.firstName, o.lastName].filter(Boolean).join(' ').trim();
        return { id: String(o.id), email: o.email ?? null, name: name || null };
      } catch (err) {
        if (err instanceof IntegrationError && err.kind === 'not_found') return null;
        throw err;
      }
    },
    async getAssociations(fromType, id, toType) {
      const ids: string[] = [];
      let after: string | undefined;
      do {
        const cursor = after;
        const page = await r.call('getAssociations', () => assoc.getPage(fromType, id, toType, cursor, 500));
        ids.push(...page.results.map((a) => String(a.toObjectId)));
        after = page.paging?.next?.after;
      } while (after);
      return ids;
    },
    health: async () => r.health(),
    stop: () => r.stop(),
  };
}
