import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import { HttpError } from './errors.ts';

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: 'not_found', message: `No route for ${req.method} ${req.path}` });
};

/** Every error leaves as JSON; only 5xx are logged as errors, and never with request bodies. */
export function jsonErrors(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
      return;
    }
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 600 ? err.status : 500;
    if (status >= 500) logger.error('request failed', { path: req.path, method: req.method, error: err });
    else logger.warn('request rejected', { path: req.path, method: req.method, status, reason: err?.message });
    const code = status === 413 ? 'payload_too_large' : status === 400 ? 'bad_request' : status >= 500 ? 'internal_error' : 'error';
    if (!res.headersSent) res.status(status).json({ error: code, message: status >= 500 ? 'Internal error' : String(err?.message ?? code) });
  };
}
