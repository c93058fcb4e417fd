import { describe, expect, it } from 'vitest';
import { parseHours, proposeSlots, slotLabel } from '../../workflows/kickoff-slots.ts';

const H = 3600_000;
const base = { hours: '09:00-17:00', durationMs: 30 * 60_000, leadMs: 24 * H };

describe('kickoff slot proposal (fixed rules, no calendar)', () => {
  it('when a deal is won on a Tuesday morning in Berlin, then the slots are Wednesday 10:00 and 14:00 and Thursday 10:00 local', () => {
    // Tue 2026-06-02 08:00 UTC = 10:00 CEST; +1 d lead = Wed 10:00 CEST, which is still allowed.
    const slots = proposeSlots(new Date('2026-06-02T08:00:00Z'), { ...base, tz: 'Europe/Berlin' });
    expect(slots.map((s) => s.start)).toEqual(['2026-06-03T08:00:00Z', '2026-06-03T12:00:00Z', '2026-06-04T08:00:00Z']);
    expect(slots[0]?.end).toBe('2026-06-03T08:30:00Z');
  });

  it('when the lead time ends after 10:00, then the first slot is 14:00 that day', () => {
    const slots = proposeSlots(new Date('2026-06-02T09:00:00Z'), { ...base, tz: 'Europe/Berlin' });
    expect(slots.map((s) => s.start)).toEqual(['2026-06-03T12:00:00Z', '2026-06-04T08:00:00Z', '2026-06-04T12:00:00Z']);
  });

  it('when a deal is won on a Friday, then the weekend is skipped and the slots are on Monday and Tuesday', () => {
    // Fri 2026-06-05 15:00 in New York (EDT, UTC-4).
    const slots = proposeSlots(new Date('2026-06-05T19:00:00Z'), { ...base, tz: 'America/New_York' });
    expect(slots.map((s) => s.start)).toEqual(['2026-06-08T14:00:00Z', '2026-06-08T18:00:00Z', '2026-06-09T14:00:00Z']);
  });

  it('when the same instant is proposed for Tokyo and Los Angeles, then each gets 10:00 in its own zone', () => {
    const now = new Date('2026-06-02T00:00:00Z');
    const tokyo = proposeSlots(now, { ...base, tz: 'Asia/Tokyo' });
    const la = proposeSlots(now, { ...base, tz: 'America/Los_Angeles' });
    expect(tokyo[0]?.start).toBe('2026-06-03T01:00:00Z'); // Wed 10:00 JST
    // Mon 17:00 PDT + 1 d = Tue 17:00, after both Tuesday times: Wed 10:00 PDT.
    expect(la[0]?.start).toBe('2026-06-03T17:00:00Z');
  });

  it('when the lead time spans the spring-forward weekend, then it is elapsed time and Monday slots carry the new offset', () => {
    // Fri 2026-03-06 09:30 EST (UTC-5) + 72 h = Mon 2026-03-09 10:30 EDT (UTC-4): 10:00 is too early.
    const slots = proposeSlots(new Date('2026-03-06T14:30:00Z'), { ...base, tz: 'America/New_York', leadMs: 72 * H });
    expect(slots.map((s) => s.start)).toEqual(['2026-03-09T18:00:00Z', '2026-03-10T14:00:00Z', '2026-03-10T18:00:00Z']);
    expect(slotLabel(slots[0] as never, 'America/New_York')).toBe('Mon 9 Mar, 14:00–14:30 EDT');
  });

  it('when the lead time spans the fall-back weekend, then Monday 10:00 is in standard time again', () => {
    // Fri 2026-10-30 10:30 EDT + 72 h = Mon 2026-11-02 09:30 EST.
    const slots = proposeSlots(new Date('2026-10-30T14:30:00Z'), { ...base, tz: 'America/New_York', leadMs: 72 * H });
    expect(slots[0]?.start).toBe('2026-11-02T15:00:00Z');
  });

  it('when the proposal is made on a DST change day, then the local wall-clock times hold on both sides of the change', () => {
    // Sun 2026-03-29 is the EU spring-forward day (02:00 → 03:00); proposing from it lands on Monday.
    const slots = proposeSlots(new Date('2026-03-29T00:30:00Z'), { ...base, tz: 'Europe/Berlin', leadMs: 0 });
    expect(slots.map((s) => s.start)).toEqual(['2026-03-30T08:00:00Z', '2026-03-30T12:00:00Z', '2026-03-31T08:00:00Z']);
    // Friday before the change was still CET (UTC+1).
    expect(proposeSlots(new Date('2026-03-27T06:00:00Z'), { ...base, tz: 'Europe/Berlin', leadMs: 0 })[0]?.start).toBe('2026-03-27T09:00:00Z');
  });

  it('when working hours exclude 10:00, then the opening time is used', () => {
    const slots = proposeSlots(new Date('2026-06-02T08:00:00Z'), { ...base, hours: '11:00-13:00', tz: 'UTC' });
    expect(slots.map((s) => s.start)).toEqual(['2026-06-03T11:00:00Z', '2026-06-04T11:00:00Z', '2026-06-05T11:00:00Z']);
  });

  it('when a kickoff is longer than the working day, then no slot is proposed', () => {
    expect(proposeSlots(new Date('2026-06-02T08:00:00Z'), { ...base, tz: 'UTC', durationMs: 9 * H })).toEqual([]);
  });
});

describe('kickoff slot proposal with the owner calendar (free/busy)', () => {
  it('when the owner is busy on the first morning, then the slots avoid it and stay 2 h apart inside working hours', () => {
    const busy = [
      { start: '2026-06-03T09:00:00Z', end: '2026-06-03T12:00:00Z' },
      { start: '2026-06-03T14:15:00Z', end: '2026-06-03T14:45:00Z' },
    ];
    const slots = proposeSlots(new Date('2026-06-02T08:00:00Z'), { ...base, tz: 'UTC', busy });
    expect(slots.map((s) => s.start)).toEqual(['2026-06-03T12:00:00Z', '2026-06-03T15:00:00Z', '2026-06-04T09:00:00Z']);
    for (const s of slots) for (const b of busy) expect(s.end <= b.start || s.start >= b.end).toBe(true);
  });

  it('when the calendar is free, then the earliest start inside working hours is taken, and the next ones 2 h apart', () => {
    const slots = proposeSlots(new Date('2026-06-02T08:10:00Z'), { ...base, tz: 'UTC', busy: [] });
    expect(slots.map((s) => s.start)).toEqual(['2026-06-03T09:00:00Z', '2026-06-03T11:00:00Z', '2026-06-03T13:00:00Z']);
  });

  it('when a whole week is busy, then the slots move to the next free business days', () => {
    const busy = [{ start: '2026-06-01T00:00:00Z', end: '2026-06-06T00:00:00Z' }];
    const slots = proposeSlots(new Date('2026-06-02T08:00:00Z'), { ...base, tz: 'UTC', busy });
    expect(slots[0]?.start).toBe('2026-06-08T09:00:00Z');
  });
});

describe('working hours', () => {
  it('when the hours are malformed or inverted, then parsing fails with the expected shape in the message', () => {
    expect(parseHours('09:00-17:00')).toEqual({ open: 540, close: 1020 });
    expect(() => parseHours('9-5')).toThrow(/09:00-17:00/);
    expect(() => parseHours('17:00-09:00')).toThrow(/not a range/);
  });

  it('when the time zone is unknown, then proposing fails clearly', () => {
    expect(() => proposeSlots(new Date(), { ...base, tz: 'Mars/Olympus' })).toThrow(/unknown time zone/);
  });
});
