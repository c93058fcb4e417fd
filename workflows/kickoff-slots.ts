import { DateTime, Interval } from 'luxon';

/**
 * Kickoff slot proposal (deal-stage-kickoff): pure, no I/O, every clock and calendar passed in.
 * Times are wall-clock times in `tz` (ORCH_TZ); luxon does the time-zone and DST arithmetic.
 */
export interface SlotOptions {
  /** IANA zone, e.g. "Europe/Berlin" (ORCH_TZ). */
  tz: string;
  /** Working hours, "HH:MM-HH:MM" local (ORCH_KICKOFF_HOURS). */
  hours: string;
  /** Length of a kickoff in ms (ORCH_KICKOFF_DURATION). */
  durationMs: number;
  /** Elapsed time from `now` before the earliest slot may start, in ms (ORCH_KICKOFF_LEAD). */
  leadMs: number;
  /** How many slots to propose (3). */
  count?: number;
  /** Busy intervals of the owner's calendar (free/busy); absent = the fixed rules. */
  busy?: { start: string; end: string }[] | null;
  /** How many business days ahead to look before giving up (default 20). */
  horizonDays?: number;
}

export interface Slot {
  /** ISO 8601 in UTC. */
  start: string;
  end: string;
}

/** Fixed local start times of the rules used without a calendar: each business day 10:00, then 14:00. */
export const FIXED_TIMES = ['10:00', '14:00'] as const;
/** With a calendar: candidate starts every 30 min; proposals at least 2 h apart so they are real alternatives. */
const STEP_MIN = 30;
const MIN_GAP_MS = 2 * 3600_000;

export interface WorkingHours {
  open: number;
  close: number;
}

/** "09:00-17:00" → minutes after midnight; throws on anything else (config validation uses it). */
export function parseHours(text: string): WorkingHours {
  const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) throw new Error(`working hours must look like 09:00-17:00, got "${text}"`);
  const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
  const open = h1 * 60 + m1;
  const close = h2 * 60 + m2;
  if (h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59 || close > 24 * 60 || open >= close) throw new Error(`working hours "${text}" are not a range within one day`);
  return { open, close };
}

const isBusinessDay = (d: DateTime) => d.weekday <= 5;

/** The local day's wall-clock minute as an instant (luxon moves a time in a DST gap forward). */
function at(day: DateTime, minutes: number): DateTime {
  return day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 });
}

function toSlot(start: DateTime, durationMs: number): Slot {
  return { start: start.toUTC().toISO({ suppressMilliseconds: true }) as string, end: start.plus({ milliseconds: durationMs }).toUTC().toISO({ suppressMilliseconds: true }) as string };
}

/** Candidate starts of one local day, in order, that fit inside working hours. */
function candidatesOf(day: DateTime, wh: WorkingHours, durationMs: number, withCalendar: boolean): DateTime[] {
  const durMin = Math.ceil(durationMs / 60_000);
  const fits = (min: number) => min >= wh.open && min + durMin <= wh.close;
  if (!withCalendar) {
    const fixed = FIXED_TIMES.map((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3))).filter(fits);
    return (fixed.length ? fixed : fits(wh.open) ? [wh.open] : []).map((m) => at(day, m));
  }
  const out: DateTime[] = [];
  for (let m = wh.open; fits(m); m += STEP_MIN) out.push(at(day, m));
  return out;
}

/**
 * Three slots on the next business days (Mon–Fri in `tz`), inside working hours, starting no
 * earlier than now + lead. Without `busy`: the fixed rules (10:00 and 14:00 each business day, so
 * day 1 10:00, day 1 14:00, day 2 10:00). With `busy`: the earliest free 30-minute-aligned starts,
 * at least 2 h apart, that overlap no busy interval. Fewer than `count` only if the horizon is full.
 */
export function proposeSlots(now: Date, o: SlotOptions): Slot[] {
  const wh = parseHours(o.hours);
  const count = o.count ?? 3;
  const zoneNow = DateTime.fromJSDate(now, { zone: o.tz });
  if (!zoneNow.isValid) throw new Error(`unknown time zone "${o.tz}"`);
  const earliest = zoneNow.plus({ milliseconds: o.leadMs });
  const withCalendar = Array.isArray(o.busy);
  const busy = (o.busy ?? []).map((b) => Interval.fromDateTimes(DateTime.fromISO(b.start), DateTime.fromISO(b.end))).filter((i) => i.isValid);
  const out: Slot[] = [];
  let last: DateTime | null = null;
  let day = earliest.startOf('day');
  for (let i = 0; i < (o.horizonDays ?? 20) * 2 && out.length < count; i++, day = day.plus({ days: 1 }).startOf('day')) {
    if (!isBusinessDay(day)) continue;
    for (const start of candidatesOf(day, wh, o.durationMs, withCalendar)) {
      if (out.length >= count) break;
      if (start < earliest) continue;
      if (last && start.toMillis() - last.toMillis() < MIN_GAP_MS && withCalendar) continue;
      const slot = Interval.after(start, { milliseconds: o.durationMs });
      if (busy.some((b) => b.overlaps(slot))) continue;
      out.push(toSlot(start, o.durationMs));
      last = start;
    }
  }
  return out;
}

/** "Tue 3 Mar, 10:00–10:30 CET" in the workflow's zone (fallback text; Slack shows `<!date^…>` in the reader's zone). */
export function slotLabel(slot: Slot, tz: string): string {
  const s = DateTime.fromISO(slot.start, { zone: tz });
  const e = DateTime.fromISO(slot.end, { zone: tz });
  return `${s.toFormat('ccc d LLL, HH:mm')}–${e.toFormat('HH:mm ZZZZ')}`;
}
