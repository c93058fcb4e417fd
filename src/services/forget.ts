import type { AppContext } from '../context.ts';
import { CONTACT_ID_FIELD, CONTACTS_TABLE } from '../reconcile/contact-fields.ts';
import { objectKeyOf } from '../ingest/store.ts';
import { audit } from './audit.ts';

/**
 * Forget a contact (issue 14; `contact.privacyDeletion` webhook, `/orch forget contact <id>`): the
 * contact's personal data leaves orch's stores, replaced by tombstones that keep ids, decisions and
 * policy versions, each marked `forgotten: {at, by, reason}` so `/orch why` can answer "data deleted
 * on <date> at <who>'s request". Covers webhook events and the raw batches holding them, pending
 * and inbox summaries, runs (envelope, result, LangGraph checkpoints), approvals, exceptions, the
 * Airtable Contacts row when orch created it, and Neo4j lineage. Audited `pii.forget` without the data.
 */
export type ForgetCtx = Pick<AppContext, 'models' | 'logger' | 'integrations' | 'neo4j' | 'mongo'> & Partial<Pick<AppContext, 'agenda'>>;

/** The second pass (jobs/forget.ts): catches what ingest or a running run wrote while the first pass ran. */
export const FORGET_AGAIN_JOB = 'pii:forget-again';

export interface ForgetInput {
  contactId: string;
  actor: string;
  reason: string;
}

export interface ForgetResult {
  contactId: string;
  at: Date;
  events: number;
  batches: number;
  runs: number;
  approvals: number;
  exceptions: number;
  mirror: 'deleted' | 'kept_not_created_by_orch' | 'none' | 'not_configured';
  lineage: number;
}

const TOMBSTONE = '[forgotten]';

export async function forgetContact(ctx: ForgetCtx, input: ForgetInput): Promise<ForgetResult> {
  const id = String(input.contactId);
  const at = new Date();
  const forgotten = { at, by: input.actor, reason: input.reason };
  const result = await scrubContact(ctx, id, forgotten);
  await audit(ctx.models, { actor: input.actor, action: 'pii.forget', target: `contact:${id}`, reason: input.reason, details: { ...result, at: at.toISOString() } });
  ctx.logger.info('contact forgotten', { contactId: id, actor: input.actor, events: result.events, runs: result.runs, approvals: result.approvals, mirror: result.mirror });
  // A webhook folded or a run writing at this moment can put the data back after this pass: a
  // second, identical pass shortly after removes it (idempotent; durable through Agenda).
  await ctx.agenda?.schedule('in 10 seconds', FORGET_AGAIN_JOB, { contactId: id, at: at.toISOString(), by: input.actor, reason: input.reason });
  return result;
}

/** One pass over every store; safe to repeat (the tombstones keep the first pass's `forgotten`). */
export async function scrubContact(ctx: ForgetCtx, id: string, forgotten: { at: Date; by: string; reason: string }): Promise<ForgetResult> {
  const m = ctx.models;
  const events = (await m.WebhookEvent.collection.find({ objectType: 'contact', objectId: id }, { projection: { _id: 1, batchId: 1 } }).toArray()) as { _id: unknown; batchId?: string }[];
  const eventIds = events.map((e) => String(e._id));
  await m.WebhookEvent.collection.updateMany({ objectType: 'contact', objectId: id }, { $set: { raw: { objectId: id, forgotten: true }, propertyValue: null, forgotten } });
  const batches = await scrubBatches(ctx, [...new Set(events.map((e) => e.batchId).filter((b): b is string => Boolean(b)))], id, forgotten);
  await scrubPending(ctx, id);
  const runs = (await m.Run.find({ objectType: 'contact', objectId: id }, { _id: 1, result: 1 }).lean()) as { _id: string; result?: { writes?: { system?: string; target?: string; recordId?: string; op?: string; created?: boolean }[] } }[];
  const runIds = runs.map((r) => r._id);
  const mirror = await forgetMirrorRow(ctx, id, runs);
  await m.Run.collection.updateMany({ _id: { $in: runIds as never[] } }, { $set: { envelope: { meta: { objectType: 'contact', objectId: id, eventIds } }, 'result.writes': [], forgotten }, $unset: { 'result.record': 1, 'result.enrichment': 1, policyCheck: 1, extra: 1 } });
  await deleteCheckpoints(ctx, runIds);
  const approvals = await m.Approval.collection.updateMany(
    { objectType: 'contact', objectId: id },
    { $set: { title: `contact ${id}`, fields: [], diff: [], intendedWrites: [], riskFlags: [], forgotten }, $unset: { choice: 1, chosen: 1, subject: 1 } },
  );
  const exceptions = await m.Exception.collection.updateMany({ objectType: 'contact', objectId: id }, { $set: { title: `contact ${id}`, diff: [], details: {}, proposedFix: { summary: TOMBSTONE, writes: [] }, forgotten } });
  const lineage = await forgetLineage(ctx, id, eventIds);
  return { contactId: id, at: forgotten.at, events: events.length, batches, runs: runIds.length, approvals: approvals.modifiedCount, exceptions: exceptions.modifiedCount, mirror, lineage };
}

/** Raw bodies: this contact's events become `{eventId, subscriptionType, objectId, forgotten}`; others' stay as received. */
async function scrubBatches(ctx: ForgetCtx, batchIds: string[], id: string, forgotten: object): Promise<number> {
  let n = 0;
  for (const batchId of batchIds) {
    const b = await ctx.models.WebhookBatch.collection.findOne({ _id: batchId as never }, { projection: { body: 1 } });
    if (!b) continue;
    let items: Record<string, unknown>[];
    try {
      items = JSON.parse(String(b.body)) as Record<string, unknown>[];
    } catch {
      items = [];
    }
    const body = JSON.stringify(items.map((e) => (String(e.objectId) === id && String(e.subscriptionType ?? '').startsWith('contact.') ? { eventId: e.eventId, subscriptionType: e.subscriptionType, objectId: e.objectId, forgotten: true } : e)));
    await ctx.models.WebhookBatch.collection.updateOne({ _id: batchId as never }, { $set: { body, forgotten } });
    n++;
  }
  return n;
}

/** Property values carried in pending windows and inbox entries (email changes) for this contact. */
async function scrubPending(ctx: ForgetCtx, id: string): Promise<void> {
  await ctx.models.PendingUnit.collection.updateOne({ _id: objectKeyOf('contact', id) as never }, { $set: { 'events.$[].pv': null } }).catch(async () => {
    await ctx.models.PendingUnit.collection.deleteOne({ _id: objectKeyOf('contact', id) as never });
  });
  const inbox = await ctx.models.IngestInbox.collection.find({ 'objects.i': id }).toArray();
  for (const doc of inbox) {
    const objects = ((doc.objects as { t: string; i: string; e: { pv?: unknown }[] }[]) ?? []).map((o) => (o.t === 'contact' && o.i === id ? { ...o, e: o.e.map((e) => ({ ...e, pv: null })) } : o));
    await ctx.models.IngestInbox.collection.updateOne({ _id: doc._id }, { $set: { objects } });
  }
}

async function deleteCheckpoints(ctx: ForgetCtx, runIds: string[]): Promise<void> {
  if (runIds.length === 0) return;
  const db = ctx.mongo.conn.db;
  if (!db) return;
  for (const name of ['checkpoints', 'checkpoint_writes']) await db.collection(name).deleteMany({ thread_id: { $in: runIds } });
}

/** The Contacts row goes only if orch created it (a run of this contact wrote it with op create). */
async function forgetMirrorRow(ctx: ForgetCtx, id: string, runs: { result?: { writes?: { system?: string; target?: string; recordId?: string; op?: string; created?: boolean }[] } }[]): Promise<ForgetResult['mirror']> {
  const airtable = ctx.integrations.airtable;
  if (!airtable) return 'not_configured';
  const rows = await airtable.findByField(CONTACTS_TABLE, CONTACT_ID_FIELD, id);
  if (rows.length === 0) return 'none';
  const created = new Set(runs.flatMap((r) => r.result?.writes ?? []).filter((w) => w.system === 'airtable' && w.target === CONTACTS_TABLE && (w.op === 'create' || w.created)).map((w) => w.recordId));
  const ours = rows.filter((r) => created.has(r.id));
  if (ours.length === 0) return 'kept_not_created_by_orch';
  for (const r of ours) await airtable.destroy(CONTACTS_TABLE, r.id);
  return 'deleted';
}

/** Lineage: the contact's event and record nodes go; runs, approvals and policies (ids, decisions) stay. */
async function forgetLineage(ctx: ForgetCtx, id: string, eventIds: string[]): Promise<number> {
  if (!ctx.neo4j) return 0;
  const session = ctx.neo4j.session();
  try {
    const res = await session.run(
      'MATCH (n) WHERE (n:Event AND n.id IN $eventIds) OR (n:Record AND n.id = $record) DETACH DELETE n RETURN count(*) AS n',
      { eventIds, record: `contact:${id}` },
    );
    return Number(res.records[0]?.get('n') ?? 0);
  } catch (err) {
    ctx.logger.warn('lineage: could not forget the contact', { contactId: id, error: (err as Error).message });
    return 0;
  } finally {
    await session.close();
  }
}
