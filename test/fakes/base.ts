import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type Response } from 'express';

/** One request as the fake saw it (after body parsing); `status` is what the fake answered. */
export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
  status?: number;
  /** Set when the answer came from inject() or a rate limit, not from the fake's own logic. */
  injected?: boolean;
}

/**
 * A fault to serve instead of (or before) the normal answer. `match` is tested against
 * `"METHOD /path"` (a string matches when contained in it); no match = every request.
 * Without `status` only the delay applies and the fake then answers normally.
 */
export interface Injection {
  match?: string | RegExp;
  status?: number;
  /** Seconds, sent as the Retry-After header. */
  retryAfter?: number;
  /** How many requests it applies to (default 1; Infinity = until reset()). */
  times?: number;
  delayMs?: number;
  /** Body to send; by default each fake answers in its platform's error shape. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type CallPredicate = ((call: RecordedCall) => boolean) | string | RegExp;

interface Waiter {
  predicate: (call: RecordedCall) => boolean;
  resolve(call: RecordedCall): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toPredicate(p: CallPredicate): (call: RecordedCall) => boolean {
  if (typeof p === 'function') return p;
  return (call) => matches(p, call);
}

function matches(match: string | RegExp | undefined, call: { method: string; path: string }): boolean {
  if (match === undefined) return true;
  const line = `${call.method} ${call.path}`;
  return typeof match === 'string' ? line.includes(match) : match.test(line);
}

/**
 * What the five fakes share: an express app on a random loopback port, a record of every request,
 * fault injection (status codes, Retry-After, delays), a rolling-window rate limit and waitFor().
 * Subclasses add routes in their constructor via `this.app` and answer errors in their own shape.
 */
export abstract class FakeServer {
  readonly name: string;
  readonly app: Express;
  readonly calls: RecordedCall[] = [];
  url = '';
  private server: http.Server | undefined;
  private injections: (Injection & { left: number })[] = [];
  private waiters: Waiter[] = [];
  private limit: { windowMs: number; max: number; hits: number[] } | undefined;

  constructor(name: string) {
    this.name = name;
    this.app = express();
    this.app.disable('x-powered-by');
    this.app.use(express.json({ limit: '10mb', type: ['application/json', 'application/*+json'] }));
    this.app.use(express.urlencoded({ extended: false, limit: '10mb' }));
    this.app.use(express.text({ type: 'text/*', limit: '10mb' }));
    this.app.use((req, res, next) => void this.intercept(req, res).then((handled) => (handled ? undefined : next()), next));
  }

  /** The platform's error body for an injected or rate-limited status. */
  protected abstract errorBody(status: number, call: RecordedCall): unknown;

  /** Clears fake-specific state; called by reset(). */
  protected abstract clearState(): void;

  /** Extra headers on a rate-limited answer (e.g. HubSpot's X-HubSpot-RateLimit-*). */
  protected rateLimitHeaders(): Record<string, string> {
    return {};
  }

  async start(): Promise<this> {
    this.app.use((req, res) => {
      res.status(404).json(this.errorBody(404, this.snapshot(req)));
    });
    this.server = http.createServer(this.app);
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Calls whose `"METHOD /path"` contains `match` (or matches the RegExp). */
  callsTo(match: string | RegExp): RecordedCall[] {
    return this.calls.filter((c) => matches(match, c));
  }

  /** Resolves with the first recorded call (past or future) that satisfies the predicate. */
  waitFor(predicate: CallPredicate, timeoutMs = 5000): Promise<RecordedCall> {
    const test = toPredicate(predicate);
    const seen = this.calls.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate: test,
        resolve: (call) => {
          clearTimeout(timer);
          resolve(call);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const recent = this.calls.slice(-10).map((c) => `${c.method} ${c.path} -> ${c.status}`).join('\n  ');
        reject(new Error(`${this.name} fake: no matching call within ${timeoutMs} ms. Last calls:\n  ${recent || '(none)'}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  inject(injection: Injection): void {
    this.injections.push({ ...injection, left: injection.times ?? 1 });
  }

  /** Enforces a rolling-window limit: requests beyond `max` per `windowMs` get 429. */
  protected setRateLimit(windowMs: number, max: number): void {
    this.limit = { windowMs, max, hits: [] };
  }

  clearRateLimit(): void {
    this.limit = undefined;
  }

  reset(): void {
    this.calls.length = 0;
    this.injections = [];
    this.limit = undefined;
    this.clearState();
  }

  protected snapshot(req: Request): RecordedCall {
    return {
      method: req.method,
      path: req.path,
      query: { ...(req.query as Record<string, unknown>) },
      headers: { ...req.headers },
      body: req.body,
      at: Date.now(),
    };
  }

  /** Records the call when the answer is sent (so state is already updated), then wakes waiters. */
  private record(call: RecordedCall, res: Response): void {
    res.once('finish', () => {
      call.status = res.statusCode;
      this.calls.push(call);
      const ready = this.waiters.filter((w) => w.predicate(call));
      this.waiters = this.waiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve(call);
    });
  }

  /** Applies injections and the rate limit; true when the request was answered here. */
  private async intercept(req: Request, res: Response): Promise<boolean> {
    const call = this.snapshot(req);
    this.record(call, res);
    const injection = this.injections.find((i) => i.left > 0 && matches(i.match, call));
    if (injection) {
      injection.left -= 1;
      this.injections = this.injections.filter((i) => i.left > 0);
      if (injection.delayMs) await sleep(injection.delayMs);
      if (injection.status !== undefined) {
        call.injected = true;
        if (injection.retryAfter !== undefined) res.set('Retry-After', String(injection.retryAfter));
        if (injection.headers) res.set(injection.headers);
        res.status(injection.status).json(injection.body ?? this.errorBody(injection.status, call));
        return true;
      }
    }
    if (this.limit) {
      const now = Date.now();
      const l = this.limit;
      l.hits = l.hits.filter((t) => now - t < l.windowMs);
      if (l.hits.length >= l.max) {
        call.injected = true;
        res.set(this.rateLimitHeaders());
        res.status(429).json(this.errorBody(429, call));
        return true;
      }
      l.hits.push(now);
    }
    return false;
  }
}

/** Sequential ids that look like the platform's, unique per fake instance. */
export function counter(start = 1): () => number {
  let n = start;
  return () => n++;
}
