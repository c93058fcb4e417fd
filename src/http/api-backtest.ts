import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { runBacktest } from '../services/backtest.ts';
import { policyInputSchema } from '../services/policies.ts';
import { authorize } from '../services/rbac.ts';
import type { Caller } from './api-auth.ts';
import { HttpError } from './errors.ts';

export const BACKTEST_PATH = '/policies/backtest';
const daysSchema = z.coerce.number().int().min(1).max(365).default(30);

/**
 * POST /api/policies/backtest: the body of POST /api/policies plus `days` (default 30); answers the
 * backtest figures. Read-only, so the shared token may call it; a personal token needs an operator.
 */
export function backtestApi(ctx: AppContext): Router {
  const r = Router();
  r.post(BACKTEST_PATH, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const days = daysSchema.safeParse(body.days);
    if (!days.success) throw new HttpError(400, 'invalid_days', '`days` must be a whole number from 1 to 365');
    const parsed = policyInputSchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, 'invalid_policy', 'Invalid policy', parsed.error.issues);
    const caller = res.locals.caller as Caller;
    if (caller.kind === 'personal' && !(await authorize(ctx.models, caller.userId, 'operator', 'policy.backtest', parsed.data.name))) {
      throw new HttpError(403, 'forbidden', `${caller.userId} is not an operator or admin`);
    }
    res.json(await runBacktest(ctx.models, parsed.data, { days: days.data }));
  });
  return r;
}
