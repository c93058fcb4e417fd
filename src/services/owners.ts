import { LRUCache } from 'lru-cache';
import type { AppContext } from '../context.ts';
import { API_TYPE } from '../ingest/enrich.ts';

type OwnerCtx = Pick<AppContext, 'integrations' | 'logger'>;

const TTL_MS = 30 * 60_000;
/** Owner emails are personal data: at most this many objects are remembered, least recently used evicted first. */
export const OWNER_CACHE_MAX = 5000;
const cache = new WeakMap<object, LRUCache<string, { email: string | undefined; at: number }>>();

/**
 * Email of the HubSpot owner of a CRM object (hubspot_owner_id → owners API), so alerts can reach
 * that person's Slack account. Cached; never throws: without an owner, alerts go to the admins.
 */
export async function ownerEmailOf(ctx: OwnerCtx, objectType: string, objectId: string): Promise<string | undefined> {
  const hubspot = ctx.integrations.hubspot;
  // Only CRM objects have a HubSpot owner: a run, a domain or a mirror row is never looked up.
  if (!hubspot || !(objectType in API_TYPE)) return undefined;
  let byObject = cache.get(hubspot);
  if (!byObject) cache.set(hubspot, (byObject = new LRUCache({ max: OWNER_CACHE_MAX, ttl: TTL_MS })));
  const key = `${objectType}:${objectId}`;
  const hit = byObject.get(key);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.email;
  let email: string | undefined;
  try {
    const obj = await hubspot.getObject(API_TYPE[objectType] ?? objectType, objectId, ['hubspot_owner_id']);
    const ownerId = obj?.properties.hubspot_owner_id;
    email = ownerId ? ((await hubspot.getOwnerEmail(String(ownerId))) ?? undefined) : undefined;
  } catch (err) {
    ctx.logger.warn('could not look up the HubSpot owner for an alert', { objectType, objectId, error: (err as Error).message });
  }
  byObject.set(key, { email, at: Date.now() });
  return email;
}
