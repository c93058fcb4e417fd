import { hash } from 'node:crypto';
import { z } from 'zod';

/** The object types and actions orch understands (REFERENCE.md §1); anything else is stored and ignored. */
export const OBJECT_TYPES = ['company', 'contact', 'deal'] as const;
export const ACTIONS = ['creation', 'deletion', 'propertyChange', 'associationChange', 'merge', 'restore'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

// Ids arrive as numbers or digit strings. Checked here and made strings once after the parse
// (toStrings): a zod transform per field doubled the parse's time and allocations on the ack path.
const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]);
const epochMs = z.number().int().positive();

/** Fields every HubSpot webhook event carries, whatever its subscription type. */
const base = z.object({
  eventId: id,
  subscriptionId: id.optional(),
  portalId: z.number().int().nonnegative(),
  appId: z.number().int().nonnegative().optional(),
  occurredAt: epochMs,
  subscriptionType: z.string().regex(/^[A-Za-z_]+\.[A-Za-z_]+$/, 'must look like object.action'),
  attemptNumber: z.number().int().nonnegative().optional(),
  objectId: id.optional(),
  changeSource: z.string().optional(),
  changeFlag: z.string().optional(),
  sourceId: z.string().optional(),
});

const propertyChange = base.extend({
  objectId: id,
  propertyName: z.string().min(1),
  // HubSpot sends values as strings; numbers and null appear in the wild and are kept as text.
  propertyValue: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
});
const association = base.extend({
  associationType: z.string().min(1),
  fromObjectId: id,
  toObjectId: id,
  associationRemoved: z.boolean().optional(),
  isPrimaryAssociation: z.boolean().optional(),
});
const merge = base.extend({
  objectId: id,
  primaryObjectId: id.optional(),
  mergedObjectIds: z.array(id).optional(),
  newObjectId: id.optional(),
  numberOfPropertiesMoved: z.number().int().optional(),
});
const simple = base.extend({ objectId: id });

const ID_FIELDS = ['eventId', 'subscriptionId', 'objectId', 'fromObjectId', 'toObjectId', 'primaryObjectId', 'newObjectId'] as const;

/** A parsed event as stored: ids as strings, a property value as text (or null). */
export type BaseEvent = Omit<z.output<typeof base>, 'eventId' | 'subscriptionId' | 'objectId'> & { eventId: string; subscriptionId?: string; objectId?: string };

export type HubSpotEvent = BaseEvent & {
  propertyName?: string;
  propertyValue?: string | null;
  fromObjectId?: string;
  toObjectId?: string;
  associationType?: string;
};

export type Classified =
  | { kind: 'valid'; event: HubSpotEvent; objectType: ObjectType; objectId: string }
  | { kind: 'unknown'; event: BaseEvent; reason: string }
  | { kind: 'malformed'; raw: unknown; reason: string };

function schemaFor(action: string) {
  if (action === 'propertyChange') return propertyChange;
  if (action === 'associationChange') return association;
  if (action === 'merge') return merge;
  return simple;
}

/** The parse's own copy, with its ids as strings and its property value as text. */
function toStrings<T>(parsed: T): T {
  const e = parsed as Record<string, unknown>;
  for (const k of ID_FIELDS) if (e[k] !== undefined) e[k] = String(e[k]);
  if (Array.isArray(e.mergedObjectIds)) e.mergedObjectIds = e.mergedObjectIds.map(String);
  if (e.propertyValue !== undefined && e.propertyValue !== null) e.propertyValue = String(e.propertyValue);
  return parsed;
}

/** Every problem of the element, not only the first (capped so one absurd element cannot bloat a document). */
function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 20)
    .map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`)
    .join('; ');
}

/** The schema a raw element claims by its action, so a bad one is checked in full. */
function claimedSchema(action: string | undefined) {
  return action && (ACTIONS as readonly string[]).includes(action) ? schemaFor(action) : base;
}

/**
 * Sorts one raw element of a batch into valid, unknown-but-well-formed, or malformed (quarantined).
 * An element of a known type is parsed once, by its type's schema (a superset of the base one).
 */
export function classifyEvent(raw: unknown): Classified {
  const sub = (raw as { subscriptionType?: unknown } | null)?.subscriptionType;
  const [objectType, action] = typeof sub === 'string' ? sub.split('.') : [];
  if (objectType && action && (OBJECT_TYPES as readonly string[]).includes(objectType) && (ACTIONS as readonly string[]).includes(action)) {
    const full = schemaFor(action).safeParse(raw);
    if (!full.success) return { kind: 'malformed', raw, reason: describe(full.error) };
    const event = toStrings(full.data) as HubSpotEvent;
    // associationChange events name the object they were subscribed on as fromObjectId.
    const objectId = event.objectId ?? event.fromObjectId;
    if (!objectId) return { kind: 'malformed', raw, reason: 'objectId: missing' };
    return { kind: 'valid', event, objectType: objectType as ObjectType, objectId };
  }
  const b = base.safeParse(raw);
  if (!b.success) {
    const full = claimedSchema(action).safeParse(raw);
    return { kind: 'malformed', raw, reason: describe(full.success ? b.error : full.error) };
  }
  return { kind: 'unknown', event: toStrings(b.data) as BaseEvent, reason: `unknown subscription type ${b.data.subscriptionType}` };
}

const sha1 = (s: string) => hash('sha1', s, 'base64url');

/**
 * HubSpot's eventId is not unique, and re-deliveries differ in attemptNumber: the key is built from
 * what identifies the change itself (portal, subscription type and id, event id, object, time, property/value).
 */
export function dedupeKey(e: HubSpotEvent | BaseEvent): string {
  const x = e as HubSpotEvent;
  const parts = [
    e.portalId,
    e.subscriptionType,
    e.subscriptionId ?? '',
    e.eventId,
    x.objectId ?? '',
    x.associationType ? `${x.fromObjectId}>${x.toObjectId}:${x.associationType}:${(e as { associationRemoved?: boolean }).associationRemoved ?? ''}` : '',
    e.occurredAt,
    x.propertyName ?? '',
    x.propertyValue ?? '',
  ];
  return sha1(parts.join('\u001f'));
}

/** Malformed items have no trustworthy fields: their key is the hash of their JSON text. */
export function quarantineKey(raw: unknown): string {
  return `q:${sha1(JSON.stringify(raw) ?? 'undefined')}`;
}
