import { describe, expect, it } from 'vitest';
import { computeKpis, dayKey, lastDays, percentile, sparkline, type KpiApproval, type KpiException, type KpiRun } from '../../src/services/kpis.ts';

const at = (iso: string) => new Date(`${iso}Z`);
const MIN = 60_000;
const run = (id: string, status: string, started: string, extra: Partial<KpiRun> = {}): KpiRun => ({ _id: id, workflowId: 'company-intake', status, startedAt: at(started), ...extra });
const approval = (id: string, runId: string, status: string, requested: string, decided?: string): KpiApproval => ({
  _id: id,
  runId,
  status,
  requestedAt: at(requested),
  decidedAt: decided ? at(decided) : null,
});

// A week of operations around "now" = 2026-11-22 12:00 UTC, with the expected numbers worked out by hand.
const runs: KpiRun[] = [
  run('r1', 'COMPLETED', '2026-11-22T10:00:00', { finishedAt: at('2026-11-22T10:05:00'), attempts: 1 }),
  run('r2', 'COMPLETED', '2026-11-22T09:00:00', { finishedAt: at('2026-11-22T09:40:00'), approvalWaitMs: 30 * MIN }),
  run('r3', 'COMPLETED', '2026-11-22T08:00:00', { finishedAt: at('2026-11-22T08:20:00'), retried: true, attempts: 2 }),
  run('r4', 'FAILED', '2026-11-22T07:00:00', { finishedAt: at('2026-11-22T07:01:00') }),
  run('r5', 'WAITING_APPROVAL', '2026-11-22T11:00:00'),
  run('r6', 'COMPLETED', '2026-11-22T06:00:00', { finishedAt: at('2026-11-22T06:01:00') }),
  run('r7', 'COMPLETED', '2026-11-19T10:00:00', { finishedAt: at('2026-11-19T10:01:00') }),
  run('r8', 'CANCELLED', '2026-11-19T11:00:00', { finishedAt: at('2026-11-19T11:01:00') }),
  run('r9', 'COMPLETED', '2026-11-16T10:00:00', { finishedAt: at('2026-11-16T10:01:00') }),
  run('r10', 'COMPLETED', '2026-11-14T10:00:00', { finishedAt: at('2026-11-14T10:01:00') }),
];
const approvals: KpiApproval[] = [
  approval('a1', 'r2', 'APPROVED', '2026-11-22T09:00:00', '2026-11-22T09:30:00'),
  approval('a2', 'r1', 'APPROVED', '2026-11-22T10:00:00', '2026-11-22T10:02:00'),
  approval('a3', 'r5', 'PENDING', '2026-11-22T11:00:00'),
  approval('a4', 'r9', 'REJECTED', '2026-11-16T09:00:00', '2026-11-16T10:00:00'),
];
const exceptions: KpiException[] = [{ _id: 'x1', runId: 'r6', status: 'open', firstSeenAt: at('2026-11-22T06:02:00') }];
const kpis = computeKpis({ runs, approvals, exceptions, now: at('2026-11-22T12:00:00'), tz: 'UTC', slaMs: 15 * MIN });

describe('KPIs on a seeded week', () => {
  it('when runs are counted for today, then statuses, first-pass yield, SLA and exception rate match the hand count', () => {
    expect(kpis.today).toMatchObject({
      runs: 6,
      byStatus: { COMPLETED: 4, FAILED: 1, WAITING_APPROVAL: 1 },
      finished: 5,
      firstPass: 2,
      slaMet: 3,
      slaEligible: 4,
      exceptions: 1,
    });
    expect(kpis.today.firstPassYield).toBeCloseTo(0.4);
    expect(kpis.today.slaAdherence).toBeCloseTo(0.75);
    expect(kpis.today.exceptionRate).toBeCloseTo(1 / 6);
  });

  it('when approvals are decided today, then p50 and p95 latency are nearest-rank over decided ones only', () => {
    expect(kpis.today.approvalsDecided).toBe(2);
    expect(kpis.today.approvalP50Ms).toBe(2 * MIN);
    expect(kpis.today.approvalP95Ms).toBe(30 * MIN);
  });

  it('when the week is counted, then runs older than 7 days are left out and a rejection spoils first pass', () => {
    expect(kpis.week).toMatchObject({ runs: 9, finished: 8, firstPass: 3, slaMet: 5, slaEligible: 6, approvalsDecided: 3 });
    expect(kpis.week.byStatus).toEqual({ COMPLETED: 6, FAILED: 1, WAITING_APPROVAL: 1, CANCELLED: 1 });
    expect(kpis.week.approvalP50Ms).toBe(30 * MIN);
    expect(kpis.week.approvalP95Ms).toBe(60 * MIN);
  });

  it('when volume is drawn, then the sparkline has one bar per day scaled to the busiest day', () => {
    expect(kpis.volume.map((v) => v.runs)).toEqual([1, 0, 0, 2, 0, 0, 6]);
    expect(kpis.volume[0]?.day).toBe('2026-11-16');
    expect(kpis.sparkline).toBe('▂▁▁▃▁▁█');
  });

  it('when nothing happened, then ratios are null rather than 0 or NaN', () => {
    const empty = computeKpis({ runs: [], approvals: [], exceptions: [], now: at('2026-11-22T12:00:00'), slaMs: MIN });
    expect(empty.today).toMatchObject({ runs: 0, firstPassYield: null, exceptionRate: null, slaAdherence: null, approvalP50Ms: null });
    expect(empty.sparkline).toBe('▁▁▁▁▁▁▁');
  });
});

describe('KPI helpers', () => {
  it('when a percentile is asked of a sorted list, then the nearest rank is returned', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([], 50)).toBeNull();
  });

  it('when days are keyed in a time zone, then the local calendar day is used', () => {
    expect(dayKey(at('2026-11-22T02:00:00'), 'America/New_York')).toBe('2026-11-21');
    expect(lastDays(at('2026-11-22T12:00:00'), 3)).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
  });

  it('when all values are equal and non-zero, then every bar is full', () => {
    expect(sparkline([3, 3])).toBe('██');
  });
});
