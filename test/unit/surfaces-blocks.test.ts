import { describe, expect, it } from 'vitest';
import { buildHelp } from '../../blocks/help.ts';
import { buildRunList, RUNS_MORE_ACTION } from '../../blocks/run-list.ts';
import { buildRunDetail } from '../../blocks/run-detail.ts';
import { buildStatus } from '../../blocks/status.ts';
import { buildAppHome, type AppHomeInput } from '../../blocks/app-home.ts';
import { buildAlertMessage } from '../../blocks/alerts.ts';
import { buildApprovalList } from '../../blocks/queues.ts';
import { SLACK_LIMITS } from '../../blocks/limits.ts';

const now = new Date('2026-11-22T12:00:00Z');
const json = (x: unknown) => JSON.stringify(x);
const actionIds = (blocks: unknown) => (json(blocks).match(/"action_id":"[a-z_0-9]+"/g) ?? []).map((s) => s.slice(13, -1));

function everyTextWithinLimits(blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[]): boolean {
  return blocks.every((b) => (b.text?.text.length ?? 0) <= SLACK_LIMITS.sectionText && (b.fields ?? []).length <= SLACK_LIMITS.sectionFields);
}

describe('surfaces block builders', () => {
  it('when help is built for a typo, then the suggestion leads and every usage is listed', () => {
    const h = buildHelp([{ name: 'runs', usage: 'runs [status]', summary: 'recent runs', role: 'viewer' }, { name: 'mode', usage: 'mode [dry-run|live]', summary: 'mode', role: 'admin' }], { unknown: 'rnus', suggestion: 'runs' });
    expect(h.text).toBe('Unknown command `rnus`. Did you mean `/orch runs`?');
    expect(h.blocks[0]?.block_id).toBe('help_unknown');
    expect(json(h.blocks)).toContain('`/orch mode [dry-run|live]` — mode _(admins)_');
  });

  it('when a run list has a next page, then a More button carries the cursor; without one, none', () => {
    const runs = [{ _id: 'run_a', workflowId: 'company-intake', status: 'FAILED', objectType: 'company', objectId: '1', startedAt: new Date(now.getTime() - 120_000), finishedAt: new Date(now.getTime() - 119_000), error: 'x'.repeat(5000) }];
    const withMore = buildRunList({ runs, filters: { status: 'FAILED' }, next: 'CURSOR', now });
    expect(actionIds(withMore.blocks)).toEqual([RUNS_MORE_ACTION]);
    expect(json(withMore.blocks)).toContain('"value":"CURSOR"');
    expect(json(withMore.blocks)).toContain(':x: `run_a` *company-intake* · company 1 · FAILED · 2 min ago · took 1.0 s');
    expect(everyTextWithinLimits(withMore.blocks as never)).toBe(true);
    expect(actionIds(buildRunList({ runs: [], filters: {}, next: null, now }).blocks)).toEqual([]);
  });

  it('when a run detail is built, then steps, error, approvals and links are shown with user data escaped', () => {
    const d = buildRunDetail({
      run: { _id: 'run_a', workflowId: 'company-intake', status: 'FAILED', objectType: 'company', objectId: '<@U1>', startedAt: now, finishedAt: new Date(now.getTime() + 2500), error: 'boom', errorClass: 'transient', steps: [{ name: 'fetch', status: 'failed', attempt: 2, durationMs: 40, error: 'timeout' }] },
      approvals: [{ _id: 'apr_1', status: 'REJECTED', title: 'T', decidedBy: 'U9', reason: 'no' }],
      exceptions: [],
      links: [{ text: 'Open in HubSpot', url: 'https://app.hubspot.com/x' }],
    });
    const text = json(d.blocks);
    expect(text).toContain(':x: fetch · 40 ms · attempt 2 — timeout');
    expect(text).toContain('&lt;@U1&gt;');
    expect(text).toContain('REJECTED by <@U9>');
    expect(d.blocks.map((b) => b.block_id)).toEqual(['run_head', 'run_facts', 'run_steps', 'run_error', 'run_approvals', 'run_links']);
  });

  it('when status is built, then degraded dependencies are named in the notification text', () => {
    const s = buildStatus({ health: { mongodb: 'ok', hubspot: 'degraded', notion: 'not configured' }, mode: 'dry-run', version: '1.2.3', queue: { pendingUnits: 2, pendingRuns: 3, runningRuns: 0, pendingApprovals: 4, openExceptions: 5 }, asOf: now });
    expect(s.text).toBe('orch 1.2.3 · dry-run · degraded: hubspot');
    expect(json(s.blocks)).toContain(':white_circle: notion: *not configured*');
    expect(json(s.blocks)).toContain('Pending runs: *3*');
  });

  const home = (role: AppHomeInput['role'], pending = 1): AppHomeInput => ({
    role,
    mode: 'live',
    slaMs: 15 * 60_000,
    today: { runs: 3, byStatus: { COMPLETED: 2, FAILED: 1 }, firstPassYield: 0.5, exceptionRate: 0, approvalP50Ms: 60_000, approvalP95Ms: 120_000, slaAdherence: 1 },
    week: { runs: 3, byStatus: { COMPLETED: 2, FAILED: 1 }, firstPassYield: 0.5, exceptionRate: 0, approvalP50Ms: null, approvalP95Ms: null, slaAdherence: null },
    sparkline: '▁▁▁▁▁▁█',
    volume: [0, 0, 0, 0, 0, 0, 3].map((runs, i) => ({ day: `d${i}`, runs })),
    pendingApprovals: Array.from({ length: pending }, (_, i) => ({ _id: `apr_${i}`, runId: `run_${i}`, title: `Approval ${i}`, requestedAt: now })),
    pendingTotal: pending,
    openExceptions: [],
    openTotal: 0,
    recentFailures: [{ _id: 'run_f', workflowId: 'w', status: 'FAILED', startedAt: now }],
    health: { mongodb: 'ok' },
    asOf: now,
    now,
  });

  it('when the Home is built for each role, then admins get approve/reject/retry, operators retry only, viewers nothing', () => {
    expect(actionIds(buildAppHome(home('admin')).blocks)).toEqual(['approval_approve', 'approval_reject', 'alert_retry_run']);
    expect(actionIds(buildAppHome(home('operator')).blocks)).toEqual(['alert_retry_run']);
    expect(actionIds(buildAppHome(home('viewer')).blocks)).toEqual([]);
    const text = json(buildAppHome(home('viewer')).blocks);
    expect(text).toContain('*Today: 3 runs*\\ncompleted 2 · failed 1');
    expect(text).toContain('p50 1 min · p95 2 min');
    expect(text).toContain('*First-pass yield*\\n50.0%');
  });

  it('when many approvals wait, then the Home stays within the 100-block view limit and says what was cut', () => {
    const v = buildAppHome(home('admin', 80));
    expect(v.blocks.length).toBe(SLACK_LIMITS.viewBlocks);
    expect(json(v.blocks.at(-1))).toMatch(/\+\d+ more blocks not shown/);
  });

  it('when an alert repeats, then the count is in the headline and a context line', () => {
    const m = buildAlertMessage({ kind: 'run_failed', severity: 'high', text: 'company-intake failed <b>', runId: 'run_1', count: 50, windowStart: now, windowMs: 3_600_000 });
    expect(m.text).toBe('Run failed (×50): company-intake failed &lt;b&gt;');
    expect(json(m.blocks)).toContain('company-intake failed &lt;b&gt;');
    expect(json(m.blocks)).toContain('Happened *50 times* since 12:00 UTC');
    expect(actionIds(m.blocks)).toEqual(['alert_view_run', 'alert_retry_run']);
  });

  it('when approvals are listed for someone who cannot decide, then only Details is offered', () => {
    const l = buildApprovalList([{ _id: 'apr_1', runId: 'run_1', title: 'X', requestedAt: now }], 1, { canDecide: false, now });
    expect(actionIds(l.blocks)).toEqual(['approval_details']);
    expect(json(l.blocks)).toContain('Only admins approve or reject.');
  });
});
