import { Router, type Request, type Response } from 'express';
import { EVENT_STATUSES } from '../db/models/webhook-event.ts';
import { UNIT_STATUSES } from '../db/models/work-unit.ts';
import { authorize } from '../services/rbac.ts';
import { HttpError } from './errors.ts';
import { pageLimit } from './paging.ts';
import { actorOf } from './api-auth.ts';
import { replayEvents, type ReplayDeps } from '../ingest/replay.ts';

/** `?limit=` (1..200, default 50) and `?next=` (the cursor from the previous page). */
function page(req: Request): { limit: number; next?: string } {
  const limit = pageLimit(req);
  const next = typeof req.query.next === 'string' && req.query.next ? req.query.next : undefined;
  return next ? { limit, next } : { limit };
}

function statusFilter(req: Request, allowed: readonly string[]): string | undefined {
  const s = req.query.status;
  if (s === undefined || s === '') return undefined;
  if (typeof s !== 'string' || !allowed.includes(s)) throw new HttpError(400, 'invalid_status', `status must be one of ${allowed.join(', ')}`);
  return s;
}

function eventView(e: Record<string, unknown>) {
  const { _id, raw, ...rest } = e;
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = raw;
    }
  }
  return { id: _id, ...rest, raw: parsed };
}

/** force from `?force=true` or `{"force":true}`; the authenticated caller (api-auth.ts). Replay needs an operator, force an admin. */
async function replayOptions(req: Request, res: Response, deps: ReplayDeps, target: string) {
  const body = (req.body ?? {}) as { force?: unknown };
  const force = body.force === true || req.query.force === 'true';
  const actor = actorOf(req, res);
  const needed = force ? 'admin' : 'operator';
  if (!(await authorize(deps.models as never, actor, needed, force ? 'ingest.replay.force' : 'ingest.replay', target))) {
    throw new HttpError(403, 'forbidden', force ? `${actor} is not an admin; forced replays are admin-only` : `${actor} is not an operator or admin`);
  }
  return { force, actor };
}

/** /api/events and /api/units: what ingest stored, quarantined, skipped or failed, and replay. */
export function eventsApi(deps: ReplayDeps & { models: ReplayDeps['models'] & { User: unknown } }): Router {
  const r = Router();
  const { WebhookEvent, WorkUnit } = deps.models;

  r.get('/events', async (req, res) => {
    const status = statusFilter(req, EVENT_STATUSES);
    const { limit, next } = page(req);
    const q: Record<string, unknown> = {};
    if (status) q.status = status;
    for (const k of ['objectType', 'objectId', 'batchId', 'unitId'] as const) if (typeof req.query[k] === 'string') q[k] = req.query[k];
    if (next) {
      // Cursor = `<receivedAt ms>.<id>` of the last item: newest first, ties broken by id.
      const dot = next.indexOf('.');
      const at = new Date(Number(next.slice(0, dot)));
      q.$or = [{ receivedAt: { $lt: at } }, { receivedAt: at, _id: { $lt: next.slice(dot + 1) } }];
    }
    const docs = await WebhookEvent.collection.find(q).sort({ receivedAt: -1, _id: -1 }).limit(limit + 1).toArray();
    const items = docs.slice(0, limit).map((d) => eventView(d as never));
    const last = docs[limit - 1];
    res.json({ items, next: docs.length > limit && last ? `${new Date(last.receivedAt as Date).getTime()}.${String(last._id)}` : null });
  });

  r.get('/events/:id', async (req, res) => {
    const doc = await WebhookEvent.collection.findOne({ _id: req.params.id as never });
    if (!doc) throw new HttpError(404, 'not_found', `No event ${req.params.id}`);
    res.json(eventView(doc as never));
  });

  r.post('/events/:id/replay', async (req, res) => {
    const opts = await replayOptions(req, res, deps, req.params.id);
    res.json(await replayEvents(deps, [req.params.id], { ...opts, replayOf: req.params.id }));
  });

  r.get('/units', async (req, res) => {
    const status = statusFilter(req, UNIT_STATUSES);
    const { limit, next } = page(req);
    const q: Record<string, unknown> = {};
    if (status) q.status = status;
    if (typeof req.query.objectId === 'string') q.objectId = req.query.objectId;
    if (next) q.createdAt = { $lt: new Date(next) };
    const docs = await WorkUnit.collection.find(q).sort({ createdAt: -1 }).limit(limit + 1).toArray();
    const items = docs.slice(0, limit).map(({ _id, slot: _slot, ...rest }) => ({ id: _id, ...rest }));
    const last = items.at(-1) as { createdAt?: Date } | undefined;
    res.json({ items, next: docs.length > limit && last?.createdAt ? last.createdAt.toISOString() : null });
  });

  r.get('/units/:id', async (req, res) => {
    const doc = await WorkUnit.collection.findOne({ _id: req.params.id as never });
    if (!doc) throw new HttpError(404, 'not_found', `No unit ${req.params.id}`);
    const { _id, slot: _slot, ...rest } = doc;
    res.json({ id: _id, ...rest });
  });

  r.post('/units/:id/replay', async (req, res) => {
    const opts = await replayOptions(req, res, deps, req.params.id);
    const ids = (await WebhookEvent.collection.find({ unitId: req.params.id }, { projection: { _id: 1 } }).toArray()).map((e) => String(e._id));
    const unit = await WorkUnit.collection.findOne({ _id: req.params.id as never }, { projection: { eventIds: 1 } });
    if (!unit) throw new HttpError(404, 'not_found', `No unit ${req.params.id}`);
    // A unit's events may since have moved to a replay unit: its recorded eventIds still name them.
    const all = [...new Set([...ids, ...((unit.eventIds as string[] | undefined) ?? [])])];
    if (all.length === 0) throw new HttpError(409, 'no_events', `Unit ${req.params.id} has no events to replay`);
    res.json(await replayEvents(deps, all, { ...opts, replayOf: req.params.id }));
  });
  return r;
}
