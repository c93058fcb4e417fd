/**
 * Dates people type after `--as-of` or "since": `2026-11-22` (UTC), `2026-11-22T10:30` (UTC unless
 * a zone is given), `3d`, `12h`, `2w` ago, `today`, `yesterday`, `now`, a weekday ("monday" = the
 * last one). A bare day is its end for "as of" (everything that happened that day counts) and its
 * start for "since". null = not a date.
 */
export type DayEdge = 'start' | 'end';

const DAY = 86_400_000;
const UNIT_MS: Record<string, number> = { h: 3_600_000, d: DAY, w: 7 * DAY };
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function edgeOf(dayStartMs: number, edge: DayEdge): Date {
  return new Date(edge === 'start' ? dayStartMs : dayStartMs + DAY - 1);
}

const startOfDay = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());

export function parseWhen(input: string, now: Date, edge: DayEdge): Date | null {
  const s = input.trim().toLowerCase();
  if (!s) return null;
  if (s === 'now') return now;
  if (s === 'today') return edgeOf(startOfDay(now), edge);
  if (s === 'yesterday') return edgeOf(startOfDay(now) - DAY, edge);
  const rel = /^(\d{1,4})\s*(h|d|w)$/.exec(s) ?? /^(\d{1,4})\s*(hour|day|week)s?(?:\s+ago)?$/.exec(s);
  if (rel) return new Date(now.getTime() - Number(rel[1]) * (UNIT_MS[(rel[2] as string)[0] as string] as number));
  const wd = WEEKDAYS.indexOf(s.replace(/^last\s+/, ''));
  if (wd >= 0) {
    const back = ((now.getUTCDay() - wd + 7) % 7) || 7;
    return edgeOf(startOfDay(now) - back * DAY, edge);
  }
  if (s === 'last week') return new Date(now.getTime() - 7 * DAY);
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (day) {
    const ms = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    const d = new Date(ms);
    return d.getUTCDate() === Number(day[3]) ? edgeOf(ms, edge) : null;
  }
  if (/^\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(z|[+-]\d{2}:?\d{2})?$/.test(s)) {
    const zoned = /(z|[+-]\d{2}:?\d{2})$/.test(s) ? s : `${s}z`;
    const d = new Date(zoned.toUpperCase());
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/** Takes `--as-of <date>` out of command words; `error` when the flag is there but the date is not. */
export function takeAsOf(args: string[], now: Date): { rest: string[]; asOf: Date | null; error?: string } {
  const i = args.findIndex((a) => a.toLowerCase() === '--as-of' || a.toLowerCase().startsWith('--as-of='));
  if (i < 0) return { rest: args, asOf: null };
  const inline = (args[i] as string).includes('=') ? (args[i] as string).split('=')[1] ?? '' : undefined;
  const value = inline ?? args[i + 1] ?? '';
  const rest = [...args.slice(0, i), ...args.slice(i + (inline === undefined ? 2 : 1))];
  const asOf = parseWhen(value, now, 'end');
  if (!asOf) return { rest, asOf: null, error: `\`--as-of\` needs a date like 2026-11-22, 2026-11-22T10:30Z or 3d (got "${value.slice(0, 40).replace(/[<>&`]/g, '')}")` };
  return { rest, asOf };
}
