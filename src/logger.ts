import winston from 'winston';

export type Logger = winston.Logger;

const SECRET_KEY = /(token|secret|password|passwd|signature|authorization|api[_-]?key|cookie)/i;
const SECRET_PATTERNS = [/xox[abposr]-[A-Za-z0-9-]+/g, /xapp-[A-Za-z0-9-]+/g, /Bearer\s+[A-Za-z0-9._~+/=-]+/gi];
const REDACTED = '[redacted]';

function scrubString(s: string, secrets: string[]): string {
  let out = s;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  for (const re of SECRET_PATTERNS) out = out.replace(re, REDACTED);
  // Mongo URIs carry passwords in the userinfo part.
  return out.replace(/(mongodb(?:\+srv)?:\/\/[^:/@\s]+:)[^@\s]+@/g, `$1${REDACTED}@`);
}

function scrub(value: unknown, secrets: string[], depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value, secrets);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { name: value.name, message: scrubString(value.message, secrets), stack: value.stack ? scrubString(value.stack, secrets) : undefined };
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null && v !== '' ? REDACTED : scrub(v, secrets, depth + 1);
  }
  return out;
}

/** winston format that removes secrets by key name, by known value and by token shape. */
const redact = winston.format((info, opts: unknown) => {
  const secrets = (opts as { secrets?: string[] } | undefined)?.secrets ?? [];
  for (const key of Object.keys(info)) {
    const v = info[key];
    info[key] = SECRET_KEY.test(key) && v !== undefined && v !== '' ? REDACTED : scrub(v, secrets);
  }
  return info;
});

export interface LoggerOptions {
  level?: string;
  secrets?: string[];
  stream?: NodeJS.WritableStream;
}

/** JSON lines on stdout; child loggers carry correlationId / runId. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: opts.level ?? 'info',
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      redact({ secrets: opts.secrets ?? [] }),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    defaultMeta: { service: 'orch' },
    transports: [transport],
  });
}
