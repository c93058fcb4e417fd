import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer $ORCH_API_TOKEN`, compared in constant time; 401 JSON otherwise. */
export function requireApiToken(token: string, logger: Logger, metrics: Metrics): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (m && timingSafeEqual(digest(m[1] as string), expected)) return next();
    metrics.apiUnauthorized.inc();
    logger.warn('api request refused', { path: req.path, method: req.method, reason: m ? 'wrong token' : 'no Authorization header' });
    res.status(401).json({ error: 'unauthorized', message: 'Send Authorization: Bearer <ORCH_API_TOKEN>' });
  };
}
