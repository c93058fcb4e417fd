import { hash, randomBytes } from 'node:crypto';
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
  /** The body decoded once already (the receiver parsed it). */
  text?: string;
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
  /** Objects named in the inbox for processing. */
  objects: number;
  /** The same bytes were stored before (a replay): `batchId` is that first copy's id. */
  replay?: boolean;
}

type EventDoc = Record<string, unknown> & { _id: string; dedupeKey: string; status: string };

/** A quarantined element keeps its objectId (and object type) when it has a usable one, so it can be found by object. */
function rawObjectId(item: unknown): { objectId?: string; objectType?: string } {
  const r = (item ?? {}) as { objectId?: unknown; fromObjectId?: unknown; subscriptionType?: unknown };
  const id = r.objectId ?? r.fromObjectId;
  const objectId = (typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && /^\d{1,30}$/.test(id)) ? String(id) : undefined;
  if (objectId === undefined) return {};
  const type = typeof r.subscriptionType === 'string' ? r.subscriptionType.split('.')[0]?.slice(0, 40) : undefined;
  return type ? { objectId, objectType: type } : { objectId };
}

/** Turns the batch's elements into event documents: valid → received, unknown type → ignored, malformed → quarantined. */
export function buildEventDocs(items: unknown[], batchId: string, receivedAt: number): EventDoc[] {
  const at = new Date(receivedAt);
  return items.map((item) => {
    const c = classifyEvent(item);
    // raw is kept as JSON text (arbitrary keys like '$x' or 'a.b' would be refused by the database),
    // and only where the stored fields do not already say everything: valid events point to their
    // batch, whose body is kept as received. Half the bytes on the ack path.
    const common = { batchId, receivedAt: at };
    const raw = () => JSON.stringify(item) ?? 'null';
    if (c.kind === 'malformed') {
      const sub = (item as { subscriptionType?: unknown } | null)?.subscriptionType;
      const key = quarantineKey(item);
      return { _id: `evq_${key.slice(2)}`, ...common, raw: raw(), dedupeKey: key, status: 'quarantined', reason: c.reason, subscriptionType: typeof sub === 'string' ? sub.slice(0, 100) : 'invalid', ...rawObjectId(item) };
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
    // The id is the dedupe key: a re-delivered event has the id of the stored one.
    if (c.kind === 'unknown') {
      const [objectType] = e.subscriptionType.split('.');
      const key = dedupeKey(e);
      return { _id: `evt_${key}`, ...common, raw: raw(), ...fields, objectType, objectId: e.objectId, dedupeKey: key, status: 'ignored', reason: c.reason };
    }
    const key = dedupeKey(c.event);
    return { _id: `evt_${key}`, ...common, ...fields, objectType: c.objectType, objectId: c.objectId, dedupeKey: key, status: 'received' };
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

/** What processing needs of an event, carried with its object's window (no events-collection reads later). */
export interface EventSummary {
  id: string;
  st: string;
  at: Date;
  pn?: string;
  pv?: string | null;
  /** A re-delivery: processing first checks the stored event is still unprocessed. */
  d?: true;
}

export interface InboxObject {
  t: string;
  i: string;
  p?: number | null;
  e: EventSummary[];
}

/** One pending window per object (`_id` = object key): open or extend it and add the new events. */
export function pendingUpsert(o: InboxObject, receivedAt: number, debounceMs: number): AnyBulkWriteOperation {
  return {
    updateOne: {
      filter: { _id: objectKeyOf(o.t, o.i) as never },
      update: {
        // The unit id its events will be processed under, named when the window opens (no second write at the claim).
        $setOnInsert: { objectType: o.t, objectId: o.i, portalId: o.p ?? undefined, firstEventAt: new Date(receivedAt), attempts: 0, unitId: newId('unit') },
        $max: { dueAt: new Date(receivedAt + debounceMs), lastEventAt: new Date(receivedAt) },
        // seq changes on every fold, so a release can tell whether events arrived while it worked.
        $inc: { seq: 1 },
        $push: { events: { $each: o.e } } as never,
      },
      upsert: true,
    },
  };
}

type StoreModels = Pick<Models, 'WebhookEvent' | 'WebhookBatch' | 'IngestInbox'>;


/** One request's documents: its raw batch, its events, and where they sit in a group's insert. */
function prepare(input: StoreInput) {
  const batchId = sortableId('whb', input.receivedAt);
  const docs = buildEventDocs(input.items, batchId, input.receivedAt);
  const batchDoc = {
    _id: batchId,
    sha256: hash('sha256', input.body, 'hex'),
    body: input.text ?? input.body.toString('utf8'),
    signatureVersion: input.signatureVersion,
    events: docs.length,
    receivedAt: new Date(input.receivedAt),
  };
  return { input, batchId, docs, batchDoc };
}

/** The batch's counts and inbox entry, once its duplicates are known. */
function summarize(p: ReturnType<typeof prepare>, dupes: Set<number>) {
  const counts = { accepted: 0, quarantined: 0, ignored: 0 };
  const objects = new Map<string, InboxObject>();
  p.docs.forEach((d, i) => {
    if (d.status === 'received') {
      const key = objectKeyOf(d.objectType as string, d.objectId as string);
      const o = objects.get(key) ?? { t: d.objectType as string, i: d.objectId as string, p: d.portalId as number, e: [] };
      objects.set(key, o);
      // Re-deliveries are listed too: if the first delivery's inbox write was lost (crash before
      // the 200), this is what gets its events processed.
      o.e.push({ id: d._id, st: d.subscriptionType as string, at: d.occurredAt as Date, pn: d.propertyName as string | undefined, pv: d.propertyValue as string | null | undefined, ...(dupes.has(i) ? { d: true as const } : {}) });
    }
    if (dupes.has(i)) return;
    if (d.status === 'quarantined') counts.quarantined++;
    else if (d.status === 'ignored') counts.ignored++;
    else counts.accepted++;
  });
  const inbox = objects.size ? { _id: p.batchId, receivedAt: new Date(p.input.receivedAt), objects: [...objects.values()] } : null;
  const result: StoreResult = { batchId: p.batchId, received: p.docs.length, duplicates: dupes.size, objects: objects.size, ...counts };
  return { inbox, result };
}

/**
 * Raw batches, unique by the sha256 of their bytes: a body already stored (a replay of a captured
 * request, or the same bytes twice in one group) is not stored again; its result names the first
 * copy and the copy counts the replay. Any other write error propagates (nothing is acknowledged).
 */
async function insertRawBatches(models: StoreModels, docs: { _id: string; sha256: string }[], results: StoreResult[]): Promise<void> {
  try {
    await models.WebhookBatch.collection.insertMany(docs as never[], { ordered: false });
  } catch (err) {
    const e = err as BulkError;
    const failed = e.writeErrors === undefined ? (e.code === 11000 && docs.length === 1 ? [{ code: 11000, index: 0 }] : []) : Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
    if (failed.length === 0 || failed.some((w) => w.code !== 11000)) throw err;
    for (const w of failed) {
      const i = w.index ?? 0;
      const doc = docs[i] as { sha256: string };
      const first = await models.WebhookBatch.collection.findOneAndUpdate({ sha256: doc.sha256 }, { $inc: { replays: 1 }, $set: { lastReplayAt: new Date() } }, { projection: { _id: 1 } });
      const r = results[i];
      if (r && first) Object.assign(r, { batchId: String(first._id), replay: true });
    }
  }
}

/**
 * Durable before the 200 (invariant 1): every event is written, then the raw batches and one inbox
 * document per batch naming its objects (all of them, new or re-delivered, so a crash between the
 * writes is healed by HubSpot's re-delivery). Re-deliveries hit the unique dedupe key (the event
 * _id) and are counted. Several requests' batches share the writes (see createBatchWriter): the events, then the raw batches and the inbox together.
 */
export async function storeBatches(models: StoreModels, inputs: StoreInput[]): Promise<StoreResult[]> {
  const prepared = inputs.map(prepare);
  const all = prepared.flatMap((p) => p.docs);
  const dupes = await insertEvents(models, all);
  let offset = 0;
  const summaries = prepared.map((p) => {
    const own = new Set<number>();
    for (let i = 0; i < p.docs.length; i++) if (dupes.has(offset + i)) own.add(i);
    offset += p.docs.length;
    return summarize(p, own);
  });
  // After the events, so each raw batch is stored with its re-delivery count in one insert; the
  // inbox entries at the same time (neither needs the other, both are written before the 200).
  const inbox = summaries.flatMap((s) => (s.inbox ? [s.inbox] : []));
  await Promise.all([
    insertRawBatches(models, prepared.map((p, i) => ({ ...p.batchDoc, duplicates: summaries[i]?.result.duplicates ?? 0 })), summaries.map((x) => x.result)),
    inbox.length ? models.IngestInbox.collection.insertMany(inbox as never[]) : undefined,
  ]);
  return summaries.map((s) => s.result);
}

/**
 * Group commit for the webhook route: requests that arrive while the writers are busy are written
 * together by the next free one, with up to `writers` groups in flight (measured with
 * `npm run bench:ingest`, see docs/ingest.md). Every request's wait stays about one write, and
 * fewer, larger inserts save round trips. A failed group fails each of its requests (HubSpot
 * re-sends them); nothing is acknowledged before its group is written.
 */
export function createBatchWriter(models: StoreModels, opts: { maxEvents?: number; writers?: number } = {}) {
  const maxEvents = opts.maxEvents ?? 2000;
  const writers = Math.max(1, opts.writers ?? 2);
  type Waiting = { input: StoreInput; resolve: (r: StoreResult) => void; reject: (e: unknown) => void };
  let queue: Waiting[] = [];
  let active = 0;
  function take(): Waiting[] {
    let events = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || events + (queue[n]?.input.items.length ?? 0) <= maxEvents)) events += queue[n++]?.input.items.length ?? 0;
    const group = queue.slice(0, n);
    queue = queue.slice(n);
    return group;
  }
  async function drain(): Promise<void> {
    active += 1;
    while (queue.length) {
      const group = take();
      try {
        const results = await storeBatches(models, group.map((w) => w.input));
        group.forEach((w, i) => w.resolve(results[i] as StoreResult));
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    active -= 1;
  }
  return {
    store(input: StoreInput): Promise<StoreResult> {
      return new Promise((resolve, reject) => {
        queue.push({ input, resolve, reject });
        if (active < writers) void drain();
      });
    },
  };
}
