import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { EXCEPTION_STATUSES } from '../db/models/exception.ts';
import { getException, listExceptions } from '../reconcile/exceptions.ts';
import { applyFix, ignoreException, type FixRefusal } from '../reconcile/fixes.ts';
import { refreshCard } from '../reconcile/notify.ts';
import { reconcileNow } from '../reconcile/service.ts';
import { EXCEPTION_TYPES } from '../reconcile/types.ts';
import { authorize } from '../services/rbac.ts';
import { requestReconciliation } from '../../jobs/reconcile.ts';
import { HttpError } from './errors.ts';
import { pageLimit } from './paging.ts';
import { actorOf } from './api-auth.ts';

/** /api/reconcile, /api/reconcile/reports, /api/exceptions. */
const resolveBody = z.object({ action: z.enum(['apply', 'ignore']), actor: z.string().min(1).optional(), reason: z.string().max(2000).optional() });
const REFUSAL_STATUS: Record<FixRefusal, number> = {
  not_found: 404,
  not_admin: 403,
  not_open: 409,
  state_changed: 409,
  no_longer_reproduces: 409,
  manual: 422,
  not_configured: 503,
  write_failed: 502,
  reason_required: 400,
};

const limitOf = pageLimit;

function pick(req: Request, key: string, allowed: readonly string[]): string | undefined {
  const v = req.query[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !allowed.includes(v)) throw new HttpError(400, `invalid_${key}`, `${key} must be one of ${allowed.join(', ')}`);
  return v;
}

function view(doc: Record<string, unknown>) {
  const { _id, openKey: _openKey, ...rest } = doc;
  return { id: _id, ...rest };
}

export function reconcileApi(ctx: AppContext): Router {
  const r = Router();

  r.post('/reconcile', async (req, res) => {
    const actor = actorOf(req, res);
    if (!(await authorize(ctx.models, actor, 'admin', 'reconcile.run'))) throw new HttpError(403, 'forbidden', `${actor} is not an admin`);
    if (req.query.wait === 'false') {
      await requestReconciliation(ctx, { trigger: 'api', actor });
      return void res.status(202).json({ ok: true, queued: true });
    }
    const result = await reconcileNow(ctx, { trigger: 'api', actor });
    if (result.status === 'busy') throw new HttpError(409, 'busy', 'A reconciliation is already running; its report will appear in GET /api/reconcile/reports');
    if (result.status === 'not_configured') throw new HttpError(503, 'not_configured', result.message);
    const report = await ctx.models.ReconcileReport.findOne({ _id: result.reportId }).lean();
    res.json({ ok: result.status === 'completed', report: report ? view(report as unknown as Record<string, unknown>) : null });
  });

  r.get('/reconcile/reports', async (req, res) => {
    const limit = limitOf(req);
    const q: Record<string, unknown> = {};
    if (typeof req.query.next === 'string' && req.query.next) {
      const at = new Date(Number(req.query.next.split('_')[0]));
      if (Number.isNaN(at.getTime())) throw new HttpError(400, 'invalid_next', '`next` is not a cursor returned by this API');
      q.startedAt = { $lt: at };
    }
    const docs = await ctx.models.ReconcileReport.find(q).sort({ startedAt: -1 }).limit(limit + 1).lean();
    const items = docs.slice(0, limit).map((d) => view(d as unknown as Record<string, unknown>));
    const last = docs.length > limit ? docs[limit - 1] : undefined;
    res.json({ items, next: last ? `${last.startedAt.getTime()}_${last._id}` : null });
  });

  r.get('/exceptions', async (req, res) => {
    const status = pick(req, 'status', EXCEPTION_STATUSES);
    const type = pick(req, 'type', EXCEPTION_TYPES);
    const page = await listExceptions(ctx.models, {
      limit: limitOf(req),
      ...(status ? { status } : {}),
      ...(type ? { type } : {}),
      ...(typeof req.query.next === 'string' && req.query.next ? { before: req.query.next } : {}),
    });
    res.json({ items: page.items.map((e) => view(e as unknown as Record<string, unknown>)), next: page.next });
  });

  r.get('/exceptions/:id', async (req, res) => {
    const exc = await getException(ctx.models, req.params.id);
    if (!exc) throw new HttpError(404, 'not_found', `No exception ${req.params.id}`);
    res.json(view(exc as unknown as Record<string, unknown>));
  });

  r.post('/exceptions/:id/resolve', async (req, res) => {
    const body = resolveBody.safeParse(req.body ?? {});
    if (!body.success) throw new HttpError(400, 'invalid_body', 'Expected {action: "apply"|"ignore", actor, reason?}', body.error.issues);
    const { action, reason } = body.data;
    const actor = actorOf(req, res);
    const result = action === 'apply' ? await applyFix(ctx, { id: req.params.id, actor }) : await ignoreException(ctx, { id: req.params.id, actor, ...(reason ? { reason } : {}) });
    if (!result.ok) throw new HttpError(REFUSAL_STATUS[result.reason], result.reason, result.message);
    if (result.outcome !== 'dry_run') await refreshCard(ctx, result.exception);
    res.json({ ok: true, outcome: result.outcome, message: result.message, writes: result.writes ?? [], exception: view(result.exception as unknown as Record<string, unknown>) });
  });

  return r;
}
