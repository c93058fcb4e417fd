/**
 * Issue 12, item 6: HubSpot text stays text. Every builder in blocks/ (and the top-level text
 * helpers) is rendered with hostile values in every outside field; no mention, broadcast or
 * disguised link may survive as Slack markup, and nothing is escaped twice.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildAlertMessage } from '../../blocks/alerts.ts';
import { buildAppHome, type WindowNumbers } from '../../blocks/app-home.ts';
import { buildDetailsModal, buildRejectModal } from '../../blocks/approval-modals.ts';
import { buildProgressBlock, voteText } from '../../blocks/approval-progress.ts';
import { buildApprovalSheet, decidedText, decisionBanner, sheetText, writeLine, type ApprovalSheetInput } from '../../blocks/approval-sheet.ts';
import { buildDiffBlocks, diffLine, formatValue } from '../../blocks/diff.ts';
import { buildExceptionCard, buildExceptionList, buildIgnoreModal, exceptionText, statusLine, type ExceptionCardInput } from '../../blocks/exception-card.ts';
import { buildHelp } from '../../blocks/help.ts';
import { buildApprovalList, buildExceptionList as buildOpenExceptionList } from '../../blocks/queues.ts';
import { buildReconcileSummary, summaryText } from '../../blocks/reconcile-summary.ts';
import { buildRevealedModal, buildRevealReasonModal } from '../../blocks/reveal.ts';
import { buildRunDetail } from '../../blocks/run-detail.ts';
import { buildRunList, runLine } from '../../blocks/run-list.ts';
import { buildStatus, healthLines } from '../../blocks/status.ts';
import { link, mention, safe } from '../../blocks/text.ts';
import { outcomeText } from '../../workflows/report.ts';

const H = '&amp; <!channel> <!here> <@U123> <https://x|y>';
const MARKUP = ['<!channel>', '<!here>', '<@U123>', '<https://x|y>'];
const now = new Date('2026-12-01T10:00:00Z');

/** Every string Slack reads as mrkdwn: mrkdwn objects and the top-level/notification `text`. */
function mrkdwnStrings(out: unknown, topLevel = true): string[] {
  if (typeof out === 'string') return [out];
  const found: string[] = [];
  const walk = (v: unknown, key: string | null, parentType: unknown) => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, null, null));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const [k, x] of Object.entries(o)) walk(x, k, o.type);
      return;
    }
    if (typeof v === 'string' && key === 'text' && parentType !== 'plain_text' && parentType !== 'button') found.push(v);
  };
  if (topLevel && out && typeof out === 'object' && typeof (out as { text?: unknown }).text === 'string') found.push((out as { text: string }).text);
  walk(out, null, null);
  return found;
}

/** Builder-made markup that is allowed: quote markers, Slack dates, mentions of the trusted test admin, our own links. */
const ALLOWED = [/^>/gm, /<!date\^\d+\^[^|>]*\|[^<>]*>/g, /<@UADMIN1>/g, /<https:\/\/(app\.hubspot\.com|notion\.so)\/[^|<>\s]*\|[^<>]*>/g];

function expectInert(name: string, out: unknown): void {
  const texts = mrkdwnStrings(out);
  expect(texts.length, `${name} renders some mrkdwn`).toBeGreaterThan(0);
  for (const t of texts) {
    for (const m of MARKUP) expect(t, `${name}: ${m} survived`).not.toContain(m);
    expect(t, `${name}: escaped twice`).not.toMatch(/&amp;(lt|gt);/);
    const rest = ALLOWED.reduce((s, re) => s.replace(re, ''), t);
    expect(rest, `${name}: raw < or > left in ${JSON.stringify(t).slice(0, 200)}`).not.toMatch(/[<>]/);
  }
  // The hostile value was shown (escaped), not silently dropped: its "&amp;" reads as "&amp;amp;".
  expect(JSON.stringify(texts), `${name} shows the escaped value`).toContain('&amp;amp;');
}

const sheet: ApprovalSheetInput = {
  approvalId: H, runId: H, workflowId: H, title: H, objectType: H, objectId: H, trigger: H, requestedAt: now,
  fields: [{ label: H, value: H }, { label: 'email', value: H }],
  diff: [{ field: H, kind: 'changed', old: H, new: H }, { field: 'name', kind: 'added', new: H }, { field: 'x', kind: 'removed', old: { v: H } }],
  flags: [{ ruleId: H, level: 'HIGH', message: H }],
  policy: { name: H, version: 1, matched: [H] },
  intendedWrites: [{ system: 'airtable', target: H, op: 'upsert', key: H, fields: { Name: H } }],
  mode: 'live',
};
const decided = { decision: 'reject' as const, actor: H, at: now, reason: H };
const exc: ExceptionCardInput = {
  _id: 'exc_1', type: H, severity: 'high', status: 'open', objectType: H, objectId: H, title: H,
  diff: [{ field: H, hubspot: H, mirror: H }], proposedFix: { kind: 'update_mirror', summary: H, writes: [{}] },
  occurrences: 2, firstSeenAt: now, lastSeenAt: now, assignee: H, resolvedBy: H, resolution: H,
};
const win: WindowNumbers = { runs: 1, byStatus: { FAILED: 1 }, firstPassYield: 1, exceptionRate: 0, approvalP50Ms: 1, approvalP95Ms: 2, slaAdherence: 1 };
const runRow = { _id: H, workflowId: H, status: 'FAILED', objectType: H, objectId: H, startedAt: now, finishedAt: now, error: H };

const CASES: Record<string, () => unknown> = {
  buildApprovalSheet: () => buildApprovalSheet(sheet),
  'buildApprovalSheet (decided)': () => buildApprovalSheet(sheet, decided),
  sheetText: () => sheetText(sheet),
  decidedText: () => decidedText(sheet, decided),
  decisionBanner: () => decisionBanner(decided),
  writeLine: () => writeLine(sheet.intendedWrites[0] as ApprovalSheetInput['intendedWrites'][number]),
  buildRejectModal: () => buildRejectModal({ approvalId: H }, H),
  buildDetailsModal: () => buildDetailsModal(sheet, [{ name: H, status: H, error: H }], H),
  buildDiffBlocks: () => buildDiffBlocks(sheet.diff),
  diffLine: () => diffLine(sheet.diff[0] as ApprovalSheetInput['diff'][number], 200),
  formatValue: () => formatValue(H, 200),
  buildExceptionCard: () => buildExceptionCard(exc),
  'buildExceptionCard (resolved)': () => buildExceptionCard({ ...exc, status: 'resolved' }),
  'buildExceptionList (cards)': () => buildExceptionList([exc, exc]),
  buildIgnoreModal: () => buildIgnoreModal({ exceptionId: H }, H),
  exceptionText: () => exceptionText(exc),
  statusLine: () => statusLine({ status: H, resolvedBy: H, resolution: H }),
  buildAlertMessage: () => buildAlertMessage({ kind: 'run_failed', severity: 'high', text: H, runId: H, exceptionId: H, links: [{ text: H, url: 'https://app.hubspot.com/x' }], count: 3, windowStart: now, windowMs: 3_600_000 }),
  buildAppHome: () =>
    buildAppHome({
      role: 'admin', mode: H, slaMs: 1000, today: win, week: win, sparkline: '▁▂', volume: [{ day: '2026-12-01', runs: 1 }],
      pendingApprovals: [{ _id: H, runId: H, title: H, workflowId: H, objectType: H, objectId: H, requestedAt: now }], pendingTotal: 1,
      openExceptions: [{ _id: H, type: H, severity: 'high', title: H, objectType: H, objectId: H }], openTotal: 1,
      recentFailures: [runRow], health: { [H]: H }, asOf: now, now,
    }),
  buildApprovalList: () => buildApprovalList([{ _id: H, runId: H, title: H, workflowId: H, objectType: H, objectId: H, requestedAt: now }], 1, { canDecide: true, now }),
  'buildExceptionList (queue)': () => buildOpenExceptionList([{ _id: H, type: H, severity: 'high', title: H, objectType: H, objectId: H, occurrences: 1, lastSeenAt: now }], 1, now),
  buildRunDetail: () =>
    buildRunDetail({
      run: { ...runRow, mode: H, error: H, errorClass: H, steps: [{ name: H, status: 'failed', error: H }], trigger: { eventIds: [H] } },
      approvals: [{ _id: H, status: H, title: H, decidedBy: H, decidedAt: now, reason: H }],
      exceptions: [{ _id: H, type: H, status: H, title: H }],
      links: [{ text: H, url: `https://app.hubspot.com/contacts/1/company/${H}` }, { text: H, url: 'javascript:alert(1)' }],
    }),
  buildRunList: () => buildRunList({ runs: [runRow], filters: { workflow: H, status: H, sinceText: H }, next: H, now }),
  runLine: () => runLine(runRow, now),
  buildStatus: () => buildStatus({ health: { [H]: H }, mode: H, version: H, queue: { pendingUnits: 1, pendingRuns: 1, runningRuns: 1, pendingApprovals: 1, openExceptions: 1 }, asOf: now }),
  healthLines: () => healthLines({ [H]: H }),
  buildReconcileSummary: () =>
    buildReconcileSummary({ _id: H, trigger: H, status: H, actor: H, durationMs: 5, objectsCompared: { hubspot: 1, mirror: 1 }, findingsByType: { [H]: 1 }, exceptions: { opened: 1, updated: 0, closed: 0 }, fixes: { applied: 0, failed: 0 }, apiCalls: { hubspot: 1, airtable: 1 }, errors: [H] }),
  summaryText: () => summaryText({ _id: H, trigger: H, status: H, objectsCompared: { hubspot: 1, mirror: 1 }, findingsByType: {}, exceptions: { opened: 0, updated: 0, closed: 0 }, fixes: { applied: 0, failed: 0 }, apiCalls: { hubspot: 0, airtable: 0 }, errors: [] }),
  buildHelp: () => buildHelp([{ name: 'runs', usage: 'run <runId>', summary: H, role: 'viewer' }], { unknown: H, suggestion: H }),
  buildRevealReasonModal: () => buildRevealReasonModal({ kind: 'approval', id: H }, [H]),
  buildRevealedModal: () => buildRevealedModal({ kind: 'approval', id: H }, [{ label: H, value: H }]),
  outcomeText: () => outcomeText({ decision: { decision: 'reject', actor: H, at: now, reason: H } as never, writes: sheet.intendedWrites, mode: 'live', intendedWrites: [] }, { id: 'p', url: 'https://notion.so/sop', title: H } as never),
  buildProgressBlock: () =>
    buildProgressBlock({ levels: [{ required: 2, from: [H, 'UADMIN1'] }, { required: 1, from: H }], level: 0, votes: [{ by: H, voter: H, onBehalfOf: H, decision: 'approve', level: 0, at: now }], levelApprovers: [H, `UADMIN1>${H}`], done: false }),
  voteText: () => voteText({ by: H, voter: H, onBehalfOf: H, decision: 'approve', level: 0, at: now }),
  'safe / mention / link': () => [safe(H), mention(H), link(`https://app.hubspot.com/${H}`, H), link('javascript:x', H)].join(' '),
};

/** Helpers that are not builders of Slack text (ids, parsing, pure numbers). */
const NOT_TEXT = new Set(['repeatLine', 'statusCounts', 'parseRejectMeta', 'packLines', 'typeLabel', 'formatDuration', 'modeLine', 'revealButton', 'parseRevealTarget', 'parseRevealMeta', 'sheetPiiEntries', 'cardPiiEntries', 'exceptionSummary', 'chosenFromState', 'backtestFields', 'policyJson', 'subjectLabel', 'whyButton', 'sheetLink', 'parseForgetMeta']);
/** Builders other engineers own and test on their own (issue 12 EXPLAIN half, backtest, role pickers, superseded sheets). */
const OWNED_ELSEWHERE = new Set(['buildForgetModal', 'buildSupersededSheet', 'supersededText', 'buildChoiceBlocks', 'buildAskAnswer', 'buildBacktestModal', 'buildBacktestResult', 'buildPolicyAsOf', 'buildWhy', 'buildWhyModal', 'buildWhyErrorModal', 'whyText']);

describe('hostile HubSpot text stays text in every builder', () => {
  for (const [name, render] of Object.entries(CASES)) {
    it(`when ${name} renders hostile values, then no mention, broadcast or link survives as markup`, () => {
      expectInert(name, render());
    });
  }

  it('when a javascript: URL is given as a link, then it is shown as text, not linked', () => {
    expect(link('javascript:alert(1)', 'click')).toBe('click');
  });

  it('when a new text builder is added to blocks/, then this table must cover it', () => {
    const dir = new URL('../../blocks/', import.meta.url);
    const exported = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !['limits.ts', 'pii.ts', 'phones.ts', 'format.ts', 'text.ts'].includes(f))
      .flatMap((f) => [...readFileSync(new URL(f, dir), 'utf8').matchAll(/^export function (\w+)/gm)].map((m) => m[1] as string));
    const covered = new Set(Object.keys(CASES).flatMap((k) => k.split(/[ /()]+/)));
    const missing = exported.filter((fn) => !covered.has(fn) && !NOT_TEXT.has(fn) && !OWNED_ELSEWHERE.has(fn));
    expect(missing).toEqual([]);
  });
});
