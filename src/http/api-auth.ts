import { timingSafeEqual, createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { Counter } from 'prom-client';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config.ts';
import type { Models } from '../db/models/index.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { resolveToken, TOKEN_PREFIX } from '../services/api-tokens.ts';
import { withAuditVia } from '../services/audit-context.ts';
import { HttpError } from './errors.ts';

/**
 * Who is calling /api/*: a personal token (acts as its Slack user, any method) or the shared
 * ORCH_API_TOKEN (reads only, unless ORCH_API_TOKEN_WRITES=legacy). Failed authentications are
 * limited per client address and never logged with the presented token.
 */
export type Caller = { kind: 'personal'; userId: string; tokenName: string; tokenId: string } | { kind: 'shared' };

export const AUTH_FAILURES_PER_MINUTE = 20;
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** POST routes that only read (the shared token may call them). */
const READ_ONLY_POSTS = new Set(['/policies/backtest']);
const digest = (s: string) => createHash('sha256').update(s).digest();

interface AuthDeps {
  config: Pick<Config, 'ORCH_API_TOKEN' | 'ORCH_API_TOKEN_WRITES'>;
  models: Pick<Models, 'ApiToken'>;
  logger: Logger;
  metrics: Metrics;
}

function authMetrics(metrics: Metrics) {
  return {
    failures: new Counter({ name: 'orch_api_auth_failures_total', help: 'Failed /api authentications by reason', labelNames: ['reason'] as const, registers: [metrics.registry] }),
    limited: new Counter({ name: 'orch_api_auth_rate_limited_total', help: '/api requests answered 429 after too many failed authentications from one address', registers: [metrics.registry] }),
  };
}

function tooMany(res: Response, msBeforeNext: number): void {
  res.set('Retry-After', String(Math.max(1, Math.ceil(msBeforeNext / 1000))));
  res.status(429).json({ error: 'too_many_failed_authentications', message: `More than ${AUTH_FAILURES_PER_MINUTE} failed authentications from this address in a minute; retry later` });
}

/** Authenticates every /api request; sets `res.locals.caller`. */
export function authenticateApi(deps: AuthDeps): RequestHandler {
  const expected = digest(deps.config.ORCH_API_TOKEN);
  const limiter = new RateLimiterMemory({ points: AUTH_FAILURES_PER_MINUTE, duration: 60 });
  const m = authMetrics(deps.metrics);

  const fail = async (req: Request, res: Response, client: string, reason: string) => {
    deps.metrics.apiUnauthorized.inc();
    m.failures.inc({ reason });
    deps.logger.warn('api authentication failed', { path: req.path, method: req.method, client, reason });
    try {
      await limiter.consume(client);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      m.limited.inc();
      return tooMany(res, err.msBeforeNext);
    }
    res.status(401).json({ error: 'unauthorized', reason, message: 'Send Authorization: Bearer <personal token from /orch token create> (or ORCH_API_TOKEN for reads)' });
  };

  return async (req, res, next) => {
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const seen = await limiter.get(client);
    if (seen && seen.consumedPoints >= AUTH_FAILURES_PER_MINUTE) {
      m.limited.inc();
      return tooMany(res, seen.msBeforeNext);
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (!bearer) return fail(req, res, client, 'no_token');
    if (bearer.startsWith(TOKEN_PREFIX)) {
      const found = await resolveToken(deps.models, bearer);
      if (!found.ok) return fail(req, res, client, found.reason);
      res.locals.caller = { kind: 'personal', userId: found.owner.userId, tokenName: found.owner.name, tokenId: found.owner.tokenId } satisfies Caller;
      return next();
    }
    if (!timingSafeEqual(digest(bearer), expected)) return fail(req, res, client, 'wrong_token');
    res.locals.caller = { kind: 'shared' } satisfies Caller;
    next();
  };
}

/** After authentication and body parsing: shared-token writes are refused (or, in legacy mode, warned about). */
export function guardWrites(deps: Pick<AuthDeps, 'config' | 'logger'>): RequestHandler {
  return (req, res, next) => {
    const caller = res.locals.caller as Caller;
    if (READ_METHODS.has(req.method) || (req.method === 'POST' && READ_ONLY_POSTS.has(req.path))) return next();
    if (caller.kind === 'personal') return withAuditVia(`API token ${caller.tokenName}`, caller.userId, () => next());
    if (deps.config.ORCH_API_TOKEN_WRITES !== 'legacy') {
      throw new HttpError(403, 'personal_token_required', 'ORCH_API_TOKEN can only read. Writes need a personal token: /orch token create <name> in Slack, then send it as the Bearer token.');
    }
    deps.logger.warn('deprecated: a write with the shared ORCH_API_TOKEN (ORCH_API_TOKEN_WRITES=legacy); use a personal token from /orch token create', { path: req.path, method: req.method });
    withAuditVia('shared ORCH_API_TOKEN (legacy)', undefined, () => next());
  };
}

function claimedActor(req: Request): string | undefined {
  const body = req.body as { actor?: unknown } | undefined;
  const v = body && typeof body === 'object' && body.actor !== undefined ? body.actor : req.get('x-orch-actor');
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new HttpError(400, 'invalid_actor', '`actor` must be a Slack user id');
  return v;
}

/**
 * The authenticated person a write acts as. A personal token's user; an `actor` naming someone
 * else is refused. Legacy shared-token writes name their actor, never an internal `orch:*` one.
 */
export function actorOf(req: Request, res: Response): string {
  const caller = res.locals.caller as Caller | undefined;
  const claimed = claimedActor(req);
  if (caller?.kind === 'personal') {
    if (claimed !== undefined && claimed !== caller.userId) throw new HttpError(403, 'actor_mismatch', `This token acts as ${caller.userId}; it cannot act as ${claimed}`);
    return caller.userId;
  }
  if (!claimed) throw new HttpError(400, 'actor_required', 'An `actor` (Slack user id) is required with the shared token; better, use a personal token');
  if (claimed.toLowerCase().startsWith('orch:')) throw new HttpError(403, 'system_actor', 'orch:* identities are internal and cannot act through the API');
  return claimed;
}
