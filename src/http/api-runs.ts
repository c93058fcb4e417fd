import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { RUN_STATUSES } from '../db/models/run.ts';
import { APPROVAL_STATUSES } from '../db/models/approval.ts';
import { decideApproval, updateDecidedMessage } from '../services/approvals.ts';
import { listPolicies, policyInputSchema } from '../services/policies.ts';
import { backtestIdOf, savePolicyVersion } from '../services/policy-save.ts';
import { authorize } from '../services/rbac.ts';
import { cancelRun, retryRun } from '../../workflows/run-control.ts';
import { HttpError } from './errors.ts';
import { pageLimit } from './paging.ts';
import { actorOf } from './api-auth.ts';

const limitOf = pageLimit;

function oneOf(req: Request, key: string, allowed: readonly string[]): string | undefined {
  const v = req.query[key];
  if (v === undefined || v === '') return undefined;
  const s = typeof v === 'string' ? v : '';
  const match = allowed.find((a) => a.toLowerCase() === s.toLowerCase());
  if (!match) throw new HttpError(400, `invalid_${key}`, `${key} must be one of ${allowed.join(', ')}`);
  return match;
}

/** Cursor = "<startedAt ms>_<id>" of the last item: stable under inserts, no skip/offset. */
function cursorFilter(next: unknown, field: string): Record<string, unknown> {
  if (typeof next !== 'string' || !next) return {};
  const [ms, ...rest] = next.split('_');
  const id = rest.join('_');
  const at = new Date(Number(ms));
  if (!id || Number.isNaN(at.getTime())) throw new HttpError(400, 'invalid_next', '`next` is not a cursor returned by this API');
  return { $or: [{ [field]: { $lt: at } }, { [field]: at, _id: { $lt: id } }] };
}

export function runView(r: Record<string, unknown>) {
  return {
    id: r._id,
    workflowId: r.workflowId,
    status: r.status,
    objectType: r.objectType,
    objectId: r.objectId,
    correlationKey: r.correlationKey,
    mode: r.mode ?? null,
    attempts: r.attempts ?? 0,
    error: r.error ?? null,
    errorClass: r.errorClass ?? null,
    // How a finished run ended (approved, rejected, expired, written, no_changes, ...): a rejected run is COMPLETED with outcome "rejected".
    outcome: ((r.result ?? {}) as { outcome?: unknown }).outcome ?? null,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt ?? null,
  };
}

function approvalView(a: Record<string, unknown>) {
  const { _id, ...rest } = a;
  return { id: _id, ...rest };
}

const decisionBody = z.object({ decision: z.enum(['approve', 'reject']), actor: z.string().min(1).optional(), reason: z.string().max(2000).optional() });
const ERROR_STATUS = { not_found: 404, not_admin: 403, not_approver: 403, self_approval: 403, already_voted: 409, already_decided: 409, reason_required: 400 } as const;

/** The authenticated caller (api-auth.ts), who must be an admin; a refusal is audited. */
async function requireAdmin(ctx: AppContext, req: Request, res: Response, action: string, target: string): Promise<string> {
  const actor = actorOf(req, res);
  if (!(await authorize(ctx.models, actor, 'admin', action, target))) throw new HttpError(403, 'forbidden', `${actor} is not an admin`);
  return actor;
}

/** /api/runs, /api/approvals, /api/policies. */
export function runsApi(ctx: AppContext): Router {
  const r = Router();
  const { Run, Approval, WebhookEvent } = ctx.models;

  r.get('/runs', async (req, res) => {
    const limit = limitOf(req);
    const q: Record<string, unknown> = { ...cursorFilter(req.query.next, 'startedAt') };
    const status = oneOf(req, 'status', RUN_STATUSES);
    if (status) q.status = status;
    if (typeof req.query.workflow === 'string' && req.query.workflow) q.workflowId = req.query.workflow;
    if (typeof req.query.objectId === 'string' && req.query.objectId) q.objectId = req.query.objectId;
    const docs = await Run.find(q, { envelope: 0, steps: 0 }).sort({ startedAt: -1, _id: -1 }).limit(limit + 1).lean();
    const items = docs.slice(0, limit).map((d) => runView(d as unknown as Record<string, unknown>));
    const last = docs.length > limit ? docs[limit - 1] : undefined;
    res.json({ items, next: last ? `${last.startedAt.getTime()}_${last._id}` : null });
  });

  r.get('/runs/:id', async (req, res) => {
    const run = await Run.findById(req.params.id).lean();
    if (!run) throw new HttpError(404, 'not_found', `No run ${req.params.id}`);
    const approvals = await Approval.find({ runId: run._id }).sort({ requestedAt: 1 }).limit(20).lean();
    const eventIds = [...new Set([...(run.trigger?.eventIds ?? []), ...(((run.envelope as { meta?: { eventIds?: string[] } } | undefined)?.meta?.eventIds) ?? [])])].slice(0, 200);
    const events = eventIds.length
      ? await WebhookEvent.find({ $or: [{ _id: { $in: eventIds } }, { eventId: { $in: eventIds } }] }, { raw: 0 }).limit(200).lean()
      : [];
    res.json({
      ...runView(run as unknown as Record<string, unknown>),
      trigger: run.trigger ?? null,
      steps: run.steps ?? [],
      result: run.result ?? null,
      approvals: approvals.map((a) => approvalView(a as unknown as Record<string, unknown>)),
      events: events.map(({ _id, ...e }) => ({ id: _id, ...e })),
    });
  });

  r.post('/runs/:id/retry', async (req, res) => {
    const actor = await requireAdmin(ctx, req, res, 'run.retry', req.params.id);
    if (!(await retryRun(ctx, req.params.id, actor))) throw new HttpError(409, 'not_retryable', 'Only FAILED runs can be retried');
    res.json({ ok: true });
  });

  r.post('/runs/:id/cancel', async (req, res) => {
    const actor = await requireAdmin(ctx, req, res, 'run.cancel', req.params.id);
    const outcome = await cancelRun(ctx, req.params.id, actor);
    if (outcome === 'not_cancellable') throw new HttpError(409, 'not_cancellable', 'The run has already finished');
    res.json({ ok: true, outcome });
  });

  r.get('/approvals', async (req, res) => {
    const limit = limitOf(req);
    const q: Record<string, unknown> = { ...cursorFilter(req.query.next, 'requestedAt') };
    const status = oneOf(req, 'status', APPROVAL_STATUSES);
    if (status) q.status = status;
    const docs = await Approval.find(q).sort({ requestedAt: -1, _id: -1 }).limit(limit + 1).lean();
    const items = docs.slice(0, limit).map((d) => approvalView(d as unknown as Record<string, unknown>));
    const last = docs.length > limit ? docs[limit - 1] : undefined;
    res.json({ items, next: last ? `${last.requestedAt.getTime()}_${last._id}` : null });
  });

  r.post('/approvals/:id/decision', async (req, res) => {
    const body = decisionBody.safeParse(req.body ?? {});
    if (!body.success) throw new HttpError(400, 'invalid_body', 'Expected {decision: "approve"|"reject", actor, reason?}', body.error.issues);
    const { actor: _claimed, ...decision } = body.data;
    const result = await decideApproval(ctx, { approvalId: req.params.id, actor: actorOf(req, res), ...decision });
    if (!result.ok) {
      const { ok: _ok, reason, ...details } = result;
      throw new HttpError(ERROR_STATUS[reason], reason, reason === 'already_decided' ? `Already decided by ${details.decidedBy ?? 'someone'}` : (details.message ?? reason.replace('_', ' ')), details);
    }
    await updateDecidedMessage(ctx, result.approval);
    res.json({ ok: true, ...(result.pending ? { pending: true } : {}), approval: approvalView(result.approval as unknown as Record<string, unknown>) });
  });

  r.get('/policies', async (req, res) => {
    const items = await listPolicies(ctx.models, typeof req.query.name === 'string' ? req.query.name : undefined);
    res.json({ items, next: null });
  });

  r.post('/policies', async (req, res) => {
    const actor = await requireAdmin(ctx, req, res, 'policy.add_version', String((req.body as { name?: unknown })?.name ?? ''));
    const parsed = policyInputSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw new HttpError(400, 'invalid_policy', 'Invalid policy', parsed.error.issues);
    res.status(201).json(await savePolicyVersion(ctx, parsed.data, actor, backtestIdOf(req.body)));
  });
  return r;
}
