import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics.ts';

/**
 * Counts every HTTP request by matched route pattern (never the raw path: ids in URLs would
 * explode label cardinality) and status class. Registered first so Slack's routes are counted too.
 */
export function countRequests(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : res.statusCode === 404 ? 'unmatched' : req.baseUrl || 'other';
      metrics.httpRequests.inc({ route, status: `${Math.floor(res.statusCode / 100)}xx` });
    });
    next();
  };
}
