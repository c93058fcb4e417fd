import type { Request } from 'express';
import { HttpError } from './errors.ts';

export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 50;

/**
 * `?limit=` of a list route: unset = 50; an integer 1..200 is used as given; anything else (500,
 * 0, "abc") is refused with 400 `invalid_limit` saying the range, never silently changed.
 */
export function pageLimit(req: Request): number {
  const raw = req.query.limit;
  if (raw === undefined || raw === '') return DEFAULT_PAGE;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) {
    throw new HttpError(400, 'invalid_limit', `limit must be a whole number from 1 to ${MAX_PAGE} (got ${JSON.stringify(raw)}); page with \`next\` for more`);
  }
  return n;
}
