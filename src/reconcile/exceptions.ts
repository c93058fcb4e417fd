import type { Models } from '../db/models/index.ts';
import { newId } from '../ids.ts';
import { findingKey } from './compare.ts';
import { proposeFix } from './proposals.ts';
import type { ExceptionType, Finding, ProposedFix, Severity } from './types.ts';

/**
 * Exceptions: one per object and type while it matters. The unique `openKey`
 * ("type:objectType:objectId") is held by the open, applying or ignored exception, so
 * re-detection updates it instead of adding another; closing suffixes the key with the id,
 * which frees the slot for a future, new occurrence. No transactions needed.
 */
type ExcModels = Pick<Models, 'Exception'>;

export interface ExceptionView {
  _id: string;
  type: ExceptionType;
  severity: Severity;
  objectType: string;
  objectId: string;
  status: 'open' | 'applying' | 'resolved' | 'ignored';
  openKey: string;
  title?: string;
  diff: Finding['diff'];
  proposedFix?: ProposedFix;
  details?: Record<string, unknown>;
  runId?: string;
  assignee?: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  occurrences: number;
  resolvedAt?: Date;
  resolvedBy?: string;
  resolution?: string;
  slack?: { channel?: string; ts?: string };
  lease?: { token?: string; until?: Date };
}

/** An `applying` exception whose fix holder did not finish in time (crashed): it may be taken again. */
export function leaseLapsed(e: Pick<ExceptionView, 'status' | 'lease'>, now = new Date()): boolean {
  return e.status === 'applying' && !(e.lease?.until && new Date(e.lease.until) > now);
}

/** Filter: `applying` with no live lease (an exception left by a crash, or by code before leases). */
export function lapsedFilter(now = new Date()): Record<string, unknown> {
  return { status: 'applying', $or: [{ 'lease.until': { $lt: now } }, { 'lease.until': { $exists: false } }] };
}

/**
 * Puts exceptions whose fix holder died back to `open` with a note, so re-detection shows them
 * again and Apply works; returns how many. Safe to call from any instance at any time.
 */
export async function reopenLapsed(models: ExcModels, filter: Record<string, unknown> = {}, now = new Date()): Promise<number> {
  const res = await models.Exception.updateMany(
    { ...filter, ...lapsedFilter(now) },
    { $set: { status: 'open' }, $unset: { lease: 1, resolvedBy: 1 }, $push: { notes: { at: now, actor: 'orch', text: 'a fix was interrupted before it finished (its lease lapsed): open again' } } },
  );
  return res.modifiedCount;
}

/** Statuses that hold the open key (a re-detection updates them, never duplicates them). */
export const HOLDING_STATUSES = ['open', 'applying', 'ignored'] as const;

export interface Detected {
  type: ExceptionType;
  severity: Severity;
  objectType: string;
  objectId: string;
  title: string;
  diff: Finding['diff'];
  details: Record<string, unknown>;
  proposedFix: ProposedFix;
  runId?: string;
}

export function detectedFromFinding(f: Finding, reportId?: string): Detected {
  const { type, severity, objectType, objectId, title, diff, ...details } = f;
  return { type, severity, objectType, objectId, title, diff, details: { ...details, reportId }, proposedFix: proposeFix(f) };
}

/** Creates or refreshes the exception for this object and type; `isNew` only on first detection. */
export async function recordDetection(models: ExcModels, d: Detected, at = new Date()): Promise<{ exception: ExceptionView; isNew: boolean }> {
  const openKey = findingKey(d);
  await reopenLapsed(models, { openKey }, at);
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await models.Exception.updateOne(
        { openKey },
        {
          $setOnInsert: { _id: newId('exc'), type: d.type, objectType: d.objectType, objectId: d.objectId, status: 'open', firstSeenAt: at },
          $set: { severity: d.severity, title: d.title, diff: d.diff, details: d.details, proposedFix: d.proposedFix, lastSeenAt: at, ...(d.runId ? { runId: d.runId } : {}) },
          $inc: { occurrences: 1 },
        },
        { upsert: true },
      );
      const exception = (await models.Exception.findOne({ openKey }).lean()) as ExceptionView | null;
      if (!exception) throw new Error(`exception ${openKey} vanished after upsert`);
      return { exception, isNew: res.upsertedCount === 1 };
    } catch (err) {
      // Two instances inserting the same key at once: the loser retries as an update.
      if ((err as { code?: number }).code === 11000 && attempt === 0) continue;
      throw err;
    }
  }
}

/**
 * Batched recordDetection for a reconciliation pass: one query for what is already open, one
 * insertMany for the new ones, one updateMany for the counters, and a single-document update only
 * where the diff or fix changed: a page costs a handful of round trips, not one per exception.
 */
export async function recordDetections(models: ExcModels, list: readonly Detected[], at = new Date()): Promise<{ opened: ExceptionView[]; updated: number }> {
  if (list.length === 0) return { opened: [], updated: 0 };
  const byKey = new Map(list.map((d) => [findingKey(d), d]));
  await reopenLapsed(models, { openKey: { $in: [...byKey.keys()] } }, at);
  const existing = (await models.Exception.find({ openKey: { $in: [...byKey.keys()] } }).lean()) as ExceptionView[];
  const seen = new Set(existing.map((e) => e.openKey));
  if (existing.length) {
    await models.Exception.updateMany({ _id: { $in: existing.map((e) => e._id) } }, { $set: { lastSeenAt: at }, $inc: { occurrences: 1 } });
    for (const e of existing) {
      const d = byKey.get(e.openKey) as Detected;
      if (JSON.stringify([e.diff, e.proposedFix, e.severity, e.title]) === JSON.stringify([d.diff, d.proposedFix, d.severity, d.title])) continue;
      await models.Exception.updateOne({ _id: e._id }, { $set: { severity: d.severity, title: d.title, diff: d.diff, details: d.details, proposedFix: d.proposedFix } });
    }
  }
  const fresh = [...byKey].filter(([k]) => !seen.has(k)).map(([openKey, d]) => ({
    _id: newId('exc'), openKey, type: d.type, severity: d.severity, objectType: d.objectType, objectId: d.objectId, status: 'open' as const,
    title: d.title, diff: d.diff, details: d.details, proposedFix: d.proposedFix, ...(d.runId ? { runId: d.runId } : {}),
    firstSeenAt: at, lastSeenAt: at, occurrences: 1, notes: [], createdAt: at, updatedAt: at,
  }));
  const opened: ExceptionView[] = [];
  if (fresh.length) {
    try {
      await models.Exception.collection.insertMany(fresh as never[], { ordered: false });
      opened.push(...(fresh as unknown as ExceptionView[]));
    } catch (err) {
      // Someone else opened some of them meanwhile: redo exactly those one by one.
      const failed = new Set(((err as { writeErrors?: { index: number }[] }).writeErrors ?? []).map((w) => w.index));
      if (failed.size === 0) throw err;
      fresh.forEach((f, i) => void (failed.has(i) ? undefined : opened.push(f as unknown as ExceptionView)));
      for (const i of failed) {
        const res = await recordDetection(models, byKey.get(fresh[i]!.openKey) as Detected, at);
        if (res.isNew) opened.push(res.exception);
      }
    }
  }
  return { opened, updated: existing.length };
}

export interface CloseInput {
  id: string;
  from: readonly string[];
  status: 'resolved' | 'ignored';
  actor: string;
  resolution: string;
  /** When closing from `applying`: the lease token of the fix that claimed it (a reclaimed fix cannot close). */
  leaseToken?: string;
}

/** Atomically closes one exception if it is still in one of `from`; returns it, or null if not. */
export async function closeException(models: ExcModels, c: CloseInput): Promise<ExceptionView | null> {
  const now = new Date();
  const current = (await models.Exception.findOne({ _id: c.id }, { openKey: 1 }).lean()) as { openKey: string } | null;
  if (!current) return null;
  const base = current.openKey.split('#')[0];
  const filter: Record<string, unknown> = { _id: c.id, status: { $in: [...c.from] }, ...(c.leaseToken ? { 'lease.token': c.leaseToken } : {}) };
  return (await models.Exception.findOneAndUpdate(
    filter,
    {
      $set: { status: c.status, openKey: `${base}#${c.id}`, resolvedAt: now, resolvedBy: c.actor, resolution: c.resolution },
      $unset: { lease: 1 },
      $push: { notes: { at: now, actor: c.actor, text: c.resolution } },
    },
    { returnDocument: 'after' },
  ).lean()) as ExceptionView | null;
}

export interface StaleQuery {
  types: readonly ExceptionType[];
  /** Exceptions not seen since this instant did not reproduce. */
  before: Date;
  objectType?: string;
  objectIds?: readonly string[];
  note: string;
}

/** Closes what a complete comparison no longer finds; ignored ones close too (nothing to ignore). */
export async function closeStale(models: ExcModels, q: StaleQuery): Promise<number> {
  const filter: Record<string, unknown> = { type: { $in: [...q.types] }, status: { $in: ['open', 'ignored'] }, lastSeenAt: { $lt: q.before } };
  if (q.objectType) filter.objectType = q.objectType;
  if (q.objectIds) filter.objectId = { $in: [...q.objectIds] };
  const stale = (await models.Exception.find(filter, { _id: 1, status: 1 }).lean()) as { _id: string; status: string }[];
  let closed = 0;
  for (const s of stale) {
    const done = await closeException(models, { id: s._id, from: [s.status], status: s.status === 'ignored' ? 'ignored' : 'resolved', actor: 'orch:reconcile', resolution: q.note });
    if (done) closed++;
  }
  return closed;
}

export interface ListQuery {
  status?: string;
  type?: string;
  limit?: number;
  /** Cursor: the `_id` of the last item of the previous page (ids sort by time of creation only loosely, so we page on lastSeenAt+_id). */
  before?: string;
}

export async function listExceptions(models: ExcModels, q: ListQuery): Promise<{ items: ExceptionView[]; next: string | null }> {
  const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
  const filter: Record<string, unknown> = {};
  if (q.status) filter.status = q.status;
  if (q.type) filter.type = q.type;
  if (q.before) {
    const [at, id] = q.before.split('|');
    filter.$or = [{ lastSeenAt: { $lt: new Date(Number(at)) } }, { lastSeenAt: new Date(Number(at)), _id: { $lt: id } }];
  }
  const items = (await models.Exception.find(filter).sort({ lastSeenAt: -1, _id: -1 }).limit(limit + 1).lean()) as ExceptionView[];
  const more = items.length > limit;
  const page = items.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page, next: more && last ? `${new Date(last.lastSeenAt).getTime()}|${last._id}` : null };
}

export async function getException(models: ExcModels, id: string): Promise<ExceptionView | null> {
  return (await models.Exception.findOne({ _id: id }).lean()) as ExceptionView | null;
}

export async function addNote(models: ExcModels, id: string, actor: string, text: string): Promise<void> {
  await models.Exception.updateOne({ _id: id }, { $push: { notes: { at: new Date(), actor, text } } });
}
