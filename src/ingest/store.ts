import { createHash, randomBytes } from 'node:crypto';
import type { AnyBulkWriteOperation } from 'mongodb';
import type { Models } from '../db/models/index.ts';
import { newId } from '../ids.ts';
import { classifyEvent, dedupeKey, quarantineKey } from './schema.ts';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Ids that sort by creation time, so the events API can page with a plain `_id < cursor`. */
export function sortableId(prefix: string, ms: number): string {
  let rand = '';
  for (const b of randomBytes(8)) rand += ALPHABET[b % 32];
  return `${prefix}_${ms.toString(36).padStart(9, '0')}${rand}`;
}

export const objectKeyOf = (objectType: string, objectId: string) => `${objectType}:${objectId}`;

export interface StoreInput {
  body: Buffer;
  items: unknown[];
  signatureVersion: string;
  receivedAt: number;
}

export interface StoreResult {
  batchId: string;
  received: number;
  accepted: number;
  duplicates: number;
  quarantined: number;
  ignored: number;
  /** Objects that got at least one new event: each now has a pending unit. */
  objects: number;
}

type EventDoc = Record<string, unknown> & { _id: string; dedupeKey: string; status: string };

/** Turns the batch's elements into event documents: valid → received, unknown type → ignored, malformed → quarantined. */
export function buildEventDocs(items: unknown[], batchId: string, receivedAt: number): EventDoc[] {
  const at = new Date(receivedAt);
  return items.map((item) => {
    const c = classifyEvent(item);
    // raw is kept as JSON text: arbitrary keys ('$x', 'a.b') would otherwise be refused by the database.
    const common = { _id: sortableId('evt', receivedAt), batchId, receivedAt: at, raw: JSON.stringify(item) ?? 'null', duplicates: 0 };
    if (c.kind === 'malformed') {
      const sub = (item as { subscriptionType?: unknown } | null)?.subscriptionType;
      return { ...common, dedupeKey: quarantineKey(item), status: 'quarantined', reason: c.reason, subscriptionType: typeof sub === 'string' ? sub.slice(0, 100) : 'invalid' };
    }
    const e = c.event as Record<string, unknown> & typeof c.event;
    const fields = {
      eventId: e.eventId,
      portalId: e.portalId,
      appId: e.appId,
      subscriptionId: e.subscriptionId === undefined ? undefined : Number(e.subscriptionId),
      subscriptionType: e.subscriptionType,
      occurredAt: new Date(e.occurredAt),
      changeSource: e.changeSource,
      attemptNumber: e.attemptNumber,
      propertyName: e.propertyName as string | undefined,
      propertyValue: e.propertyValue as string | undefined,
    };
    if (c.kind === 'unknown') {
      const [objectType] = e.subscriptionType.split('.');
      return { ...common, ...fields, objectType, objectId: e.objectId, dedupeKey: dedupeKey(e), status: 'ignored', reason: c.reason };
    }
    return { ...common, ...fields, objectType: c.objectType, objectId: c.objectId, dedupeKey: dedupeKey(c.event), status: 'received' };
  });
}

interface BulkError {
  code?: number;
  writeErrors?: { code?: number; index?: number }[] | { code?: number; index?: number };
  result?: { insertedCount?: number };
  insertedCount?: number;
}

/** Indexes of the documents refused as duplicates; any other write error is rethrown (→ 500, HubSpot re-sends). */
async function insertEvents(models: Pick<Models, 'WebhookEvent'>, docs: EventDoc[]): Promise<Set<number>> {
  const dupes = new Set<number>();
  if (docs.length === 0) return dupes;
  try {
    await models.WebhookEvent.collection.insertMany(docs as never[], { ordered: false });
  } catch (err) {
    const e = err as BulkError;
    const list = e.writeErrors === undefined ? (e.code === 11000 ? [{ code: 11000, index: 0 }] : []) : Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
    if (list.length === 0 || list.some((w) => w.code !== 11000)) throw err;
    for (const w of list) dupes.add(w.index ?? 0);
  }
  return dupes;
}

/** One pending unit per object: extend its window, or open one. */
export function unitUpsert(objectType: string, objectId: string, portalId: number | undefined, now: number, debounceMs: number): AnyBulkWriteOperation {
  const key = objectKeyOf(objectType, objectId);
  const at = new Date(now);
  return {
    updateOne: {
      filter: { slot: key },
      update: {
        $setOnInsert: { _id: newId('unit'), objectKey: key, objectType, objectId, portalId, status: 'pending', attempts: 0, createdAt: at, firstEventAt: at },
        $max: { dueAt: new Date(now + debounceMs), lastEventAt: at },
        $set: { updatedAt: at },
      },
      upsert: true,
    },
  };
}

/** Upserts pending units in one round trip; a concurrent upsert of the same object loses with E11000 and is retried as an update. */
export async function upsertUnits(models: Pick<Models, 'WorkUnit'>, ops: AnyBulkWriteOperation[]): Promise<void> {
  if (ops.length === 0) return;
  try {
    await models.WorkUnit.collection.bulkWrite(ops as never, { ordered: false });
  } catch (err) {
    const e = err as BulkError;
    const list = e.writeErrors === undefined ? [] : Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
    if (list.length === 0 || list.some((w) => w.code !== 11000)) throw err;
    await models.WorkUnit.collection.bulkWrite(list.map((w) => ops[w.index ?? 0]) as never, { ordered: false });
  }
}

/**
 * Durable before the 200 (invariant 1): the raw batch and every event are written, then each object
 * with a new event gets its pending unit. Re-deliveries hit the unique dedupeKey and are counted.
 */
export async function storeBatch(models: Pick<Models, 'WebhookEvent' | 'WebhookBatch' | 'WorkUnit'>, input: StoreInput, debounceMs: number): Promise<StoreResult> {
  const batchId = sortableId('whb', input.receivedAt);
  const docs = buildEventDocs(input.items, batchId, input.receivedAt);
  const batchDoc = {
    _id: batchId,
    sha256: createHash('sha256').update(input.body).digest('hex'),
    body: input.body.toString('utf8'),
    signatureVersion: input.signatureVersion,
    events: docs.length,
    receivedAt: new Date(input.receivedAt),
  };
  const [, dupes] = await Promise.all([models.WebhookBatch.collection.insertOne(batchDoc as never), insertEvents(models, docs)]);
  const counts = { accepted: 0, quarantined: 0, ignored: 0 };
  const units = new Map<string, AnyBulkWriteOperation>();
  const dupKeys: string[] = [];
  docs.forEach((d, i) => {
    if (dupes.has(i)) return void dupKeys.push(d.dedupeKey);
    if (d.status === 'quarantined') counts.quarantined++;
    else if (d.status === 'ignored') counts.ignored++;
    else {
      counts.accepted++;
      const key = objectKeyOf(d.objectType as string, d.objectId as string);
      if (!units.has(key)) units.set(key, unitUpsert(d.objectType as string, d.objectId as string, d.portalId as number, input.receivedAt, debounceMs));
    }
  });
  await Promise.all([
    upsertUnits(models, [...units.values()]),
    dupKeys.length ? models.WebhookEvent.collection.updateMany({ dedupeKey: { $in: dupKeys } }, { $inc: { duplicates: 1 } }) : null,
  ]);
  return { batchId, received: docs.length, duplicates: dupKeys.length, objects: units.size, ...counts };
}
