import type { KnownBlock, HomeView, Button } from '@slack/types';
import { capBlocks, moreBlock, mrkdwn, plain, SLACK_LIMITS } from './limits.ts';
import { esc, safe } from './text.ts';
import { ago, duration, pct, stamp } from './format.ts';
import { healthLines, modeLine } from './status.ts';
import { runLine, type RunRow } from './run-list.ts';
import { ALERT_ACTIONS } from './alerts.ts';

export interface WindowNumbers {
  runs: number;
  byStatus: Record<string, number>;
  firstPassYield: number | null;
  exceptionRate: number | null;
  approvalP50Ms: number | null;
  approvalP95Ms: number | null;
  slaAdherence: number | null;
}

export interface AppHomeInput {
  role: 'admin' | 'operator' | 'viewer';
  mode: string;
  slaMs: number;
  today: WindowNumbers;
  week: WindowNumbers;
  sparkline: string;
  volume: { day: string; runs: number }[];
  pendingApprovals: { _id: string; runId: string; title?: string | null; workflowId?: string; objectType?: string; objectId?: string; requestedAt: Date }[];
  pendingTotal: number;
  openExceptions: { _id: string; type?: string; severity?: string; title?: string | null; objectType?: string; objectId?: string }[];
  openTotal: number;
  recentFailures: RunRow[];
  health: Record<string, string>;
  asOf: Date;
  now: Date;
}

const STATUS_ORDER = ['COMPLETED', 'FAILED', 'WAITING_APPROVAL', 'RUNNING', 'PENDING', 'CANCELLED'];

export function statusCounts(byStatus: Record<string, number>): string {
  const parts = STATUS_ORDER.filter((s) => byStatus[s]).map((s) => `${s.toLowerCase().replace('_', ' ')} ${byStatus[s]}`);
  return parts.length ? parts.join(' · ') : 'no runs';
}

function kpiFields(label: string, w: WindowNumbers, slaMs: number) {
  return [
    mrkdwn(`*${label}: ${w.runs} runs*\n${statusCounts(w.byStatus)}`),
    mrkdwn(`*First-pass yield*\n${pct(w.firstPassYield)}`),
    mrkdwn(`*Exception rate*\n${pct(w.exceptionRate)}`),
    mrkdwn(`*Approval latency*\np50 ${duration(w.approvalP50Ms)} · p95 ${duration(w.approvalP95Ms)}`),
    mrkdwn(`*SLA (${duration(slaMs)})*\n${pct(w.slaAdherence)} within`),
  ];
}

function approvalBlocks(input: AppHomeInput): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'header', block_id: 'home_approvals_head', text: plain(`Pending approvals (${input.pendingTotal})`, SLACK_LIMITS.headerText) }];
  if (input.pendingApprovals.length === 0) blocks.push({ type: 'section', block_id: 'home_approvals_none', text: mrkdwn('Nothing waits for a decision.') });
  input.pendingApprovals.forEach((a, i) => {
    const line = `*${a.title ? safe(a.title, 200) : esc(`${a.workflowId ?? ''} ${a.objectType ?? ''} ${a.objectId ?? ''}`)}*\n\`${esc(a._id)}\` · run \`${esc(a.runId)}\` · waiting ${ago(a.requestedAt, input.now).replace(' ago', '')}`;
    blocks.push({ type: 'section', block_id: `home_approval_${i}`, text: mrkdwn(line) });
    // Only admins decide (invariant 5): operators and viewers see the queue without buttons.
    if (input.role === 'admin') {
      blocks.push({
        type: 'actions',
        block_id: `home_approval_actions_${i}`,
        elements: [
          { type: 'button', action_id: 'approval_approve', text: plain('Approve', SLACK_LIMITS.buttonText), style: 'primary', value: a._id },
          { type: 'button', action_id: 'approval_reject', text: plain('Reject', SLACK_LIMITS.buttonText), style: 'danger', value: a._id },
        ],
      });
    }
  });
  return blocks;
}

function failureBlocks(input: AppHomeInput): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'header', block_id: 'home_failures_head', text: plain('Recent failures', SLACK_LIMITS.headerText) }];
  if (input.recentFailures.length === 0) blocks.push({ type: 'section', block_id: 'home_failures_none', text: mrkdwn('No failed runs in the last 8 days.') });
  input.recentFailures.forEach((r, i) => {
    const section: KnownBlock = { type: 'section', block_id: `home_failure_${i}`, text: mrkdwn(runLine(r, input.now)) };
    if (input.role !== 'viewer') {
      const retry: Button = { type: 'button', action_id: ALERT_ACTIONS.retryRun, text: plain('Retry', SLACK_LIMITS.buttonText), value: r._id };
      section.accessory = retry;
    }
    blocks.push(section);
  });
  return blocks;
}

function exceptionBlocks(input: AppHomeInput): KnownBlock[] {
  const lines = input.openExceptions.map((e) => `• \`${esc(e._id)}\` ${e.severity === 'high' ? ':rotating_light: ' : ''}${esc(e.type ?? '')} — ${e.title ? safe(e.title, 150) : esc(`${e.objectType ?? ''} ${e.objectId ?? ''}`)}`);
  return [
    { type: 'header', block_id: 'home_exceptions_head', text: plain(`Open exceptions (${input.openTotal})`, SLACK_LIMITS.headerText) },
    { type: 'section', block_id: 'home_exceptions', text: mrkdwn(lines.length ? lines.join('\n') : 'No open exceptions.') },
  ];
}

/** The App Home: KPIs, queues and health for everyone; action buttons by role (viewers get none). */
export function buildAppHome(input: AppHomeInput): HomeView {
  const days = input.volume.map((v) => v.runs).join(' · ');
  const blocks: KnownBlock[] = [
    { type: 'header', block_id: 'home_title', text: plain('orch — operations', SLACK_LIMITS.headerText) },
    { type: 'context', block_id: 'home_mode', elements: [mrkdwn(`${modeLine(input.mode)} · you are *${input.role}* · as of ${stamp(input.asOf)}`)] },
    { type: 'section', block_id: 'home_kpi_today', fields: kpiFields('Today', input.today, input.slaMs) },
    { type: 'section', block_id: 'home_kpi_week', fields: kpiFields('Last 7 days', input.week, input.slaMs) },
    { type: 'section', block_id: 'home_sparkline', text: mrkdwn(`*Volume, 7 days:* \`${input.sparkline}\`  (${days})`) },
    { type: 'divider' },
    ...approvalBlocks(input),
    { type: 'divider' },
    ...exceptionBlocks(input),
    { type: 'divider' },
    ...failureBlocks(input),
    { type: 'divider' },
    { type: 'section', block_id: 'home_health', text: mrkdwn(`*Dependencies*\n${healthLines(input.health)}`) },
  ];
  return { type: 'home', blocks: capBlocks(blocks, SLACK_LIMITS.viewBlocks, (n) => moreBlock(n)) };
}
