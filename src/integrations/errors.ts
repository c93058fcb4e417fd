/**
 * One error type for every SaaS adapter, so callers decide on `kind`/`retryable` and never on
 * SDK-specific shapes (HubSpot's ApiException.code, Airtable's statusCode, OpenAI's status...).
 */
export type IntegrationErrorKind =
  | 'transient'
  | 'rate_limited'
  | 'not_found'
  | 'invalid_input'
  | 'auth'
  | 'configuration'
  | 'external';

export interface IntegrationErrorInit {
  service: string;
  kind: IntegrationErrorKind;
  message: string;
  status?: number;
  /** From a Retry-After header, when the service sent one. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class IntegrationError extends Error {
  readonly service: string;
  readonly kind: IntegrationErrorKind;
  readonly status?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(init: IntegrationErrorInit) {
    super(`${init.service}: ${init.message}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'IntegrationError';
    this.service = init.service;
    this.kind = init.kind;
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    this.retryable = init.kind === 'transient' || init.kind === 'rate_limited';
  }
}

/** The message of the error thrown while a circuit is open (the service was not called at all). */
export const CIRCUIT_OPEN_MESSAGE = 'circuit open: recent calls failed, not calling for now';

/** True when the call was refused by an open circuit breaker; `retryAfterMs` then says when it half-opens. */
export function isCircuitOpen(err: unknown): boolean {
  return err instanceof IntegrationError && err.message.endsWith(CIRCUIT_OPEN_MESSAGE);
}

export function isIntegrationError(err: unknown): err is IntegrationError {
  return err instanceof IntegrationError;
}

/** HTTP status → kind. 408 and every 5xx are worth retrying; other 4xx are the caller's problem. */
export function kindFromStatus(status: number): IntegrationErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return 'transient';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 400 || status === 422) return 'invalid_input';
  if (status === 401 || status === 403) return 'auth';
  return 'external';
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  // Notion's and Airtable's own names for a timeout / lost connection.
  'notionhq_client_request_timeout',
  'CONNECTION_ERROR',
]);
const TIMEOUT_NAMES = new Set(['AbortError', 'TimeoutError', 'APIConnectionTimeoutError', 'APIConnectionError', 'RequestTimeoutError']);

type Loose = Record<string, unknown>;

/** Reads a header from a fetch Headers object or a plain record (the SDKs use both). */
export function headerValue(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (n: string) => string | null } & Loose;
  if (typeof h.get === 'function') return h.get(name) ?? undefined;
  const key = Object.keys(h).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : h[key];
  return Array.isArray(v) ? String(v[0]) : v === undefined || v === null ? undefined : String(v);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function statusOf(e: Loose): number | undefined {
  for (const key of ['status', 'statusCode', 'code']) {
    const v = e[key];
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
  }
  const response = e.response as Loose | undefined;
  return typeof response?.status === 'number' ? response.status : undefined;
}

function codeOf(e: Loose): string | undefined {
  const code = e.code ?? e.error ?? (e.cause as Loose | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(e: Loose, status?: number): string {
  const body = e.body as Loose | undefined;
  const msg = (typeof body?.message === 'string' && body.message) || (typeof e.message === 'string' && e.message) || String(e);
  return status ? `HTTP ${status}: ${msg}` : msg;
}

/**
 * Turns whatever an SDK threw into an IntegrationError: by HTTP status first, then by network
 * error codes and timeout error names (so ECONNRESET, undici socket errors, opossum's ETIMEDOUT
 * and SDK timeouts are all 'transient'). Anything unrecognised is 'external' and not retried.
 */
export function classifyError(service: string, err: unknown): IntegrationError {
  if (err instanceof IntegrationError) return err;
  if (!err || typeof err !== 'object') {
    return new IntegrationError({ service, kind: 'external', message: String(err), cause: err });
  }
  const e = err as Loose;
  const status = statusOf(e);
  if (status !== undefined) {
    const retryAfterMs = parseRetryAfter(headerValue(e.headers ?? (e.response as Loose | undefined)?.headers, 'retry-after'));
    return new IntegrationError({ service, kind: kindFromStatus(status), status, message: messageOf(e, status), cause: err, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  const code = codeOf(e);
  // Some SDK error subclasses keep name 'Error'; the class name and the cause tell more.
  const names = [e.name, (e.constructor as { name?: unknown } | undefined)?.name, (e.cause as Loose | undefined)?.name].filter((n): n is string => typeof n === 'string');
  const name = names.find((n) => TIMEOUT_NAMES.has(n)) ?? names[0] ?? '';
  if ((code && NETWORK_CODES.has(code)) || TIMEOUT_NAMES.has(name) || (name === 'TypeError' && e.message === 'fetch failed')) {
    return new IntegrationError({ service, kind: 'transient', message: `${code ?? name}: ${messageOf(e)}`, cause: err });
  }
  return new IntegrationError({ service, kind: 'external', message: messageOf(e), cause: err });
}
