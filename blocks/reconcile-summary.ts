import type { KnownBlock } from '@slack/types';
import { SLACK_LIMITS, capList, mrkdwn, plain } from './limits.ts';
import { esc, mention, safe } from './text.ts';
import { typeLabel } from './exception-card.ts';

/** What a reconciliation report holds (a plain subset of the ReconcileReport document). */
export interface ReconcileSummaryInput {
  _id: string;
  trigger: string;
  status: string;
  actor?: string;
  durationMs?: number;
  objectsCompared: { hubspot: number; mirror: number };
  findingsByType: Record<string, number>;
  exceptions: { opened: number; updated: number; closed: number };
  fixes: { applied: number; failed: number };
  apiCalls: { hubspot: number; airtable: number };
  errors: string[];
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function summaryText(r: ReconcileSummaryInput): string {
  const total = Object.values(r.findingsByType).reduce((a, b) => a + b, 0);
  return `Reconciliation ${esc(r.status)}: ${total} findings, ${r.exceptions.opened} new, ${r.exceptions.closed} closed in ${formatDuration(r.durationMs)}`;
}

/** The post-run summary for ORCH_ALERTS_CHANNEL: counts by type, duration, API calls. */
export function buildReconcileSummary(r: ReconcileSummaryInput): KnownBlock[] {
  const icon = r.status === 'completed' ? ':white_check_mark:' : ':x:';
  const counts = Object.entries(r.findingsByType).map(([type, n]) => `${esc(typeLabel(type))}: *${n}*`);
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(`${r.status === 'completed' ? '' : '⚠ '}Reconciliation ${r.status}`, SLACK_LIMITS.headerText) },
    {
      type: 'section',
      block_id: 'reconcile_counts',
      text: mrkdwn(`${icon} ${counts.join(' · ') || 'No findings'}`),
    },
    {
      type: 'section',
      block_id: 'reconcile_figures',
      fields: [
        mrkdwn(`*Compared*\n${r.objectsCompared.hubspot} HubSpot companies / ${r.objectsCompared.mirror} mirror rows`),
        mrkdwn(`*Duration*\n${formatDuration(r.durationMs)}`),
        mrkdwn(`*API calls*\nHubSpot ${r.apiCalls.hubspot} · Airtable ${r.apiCalls.airtable}`),
        mrkdwn(`*Exceptions*\n${r.exceptions.opened} new · ${r.exceptions.updated} still open · ${r.exceptions.closed} closed`),
        mrkdwn(`*Auto-repairs*\n${r.fixes.applied} applied · ${r.fixes.failed} failed`),
        mrkdwn(`*Trigger*\n${esc(r.trigger)}${r.actor ? ` by ${mention(r.actor)}` : ''}`),
      ],
    },
  ];
  if (r.errors.length > 0) {
    const { items, omitted } = capList(r.errors, 5);
    blocks.push({ type: 'section', block_id: 'reconcile_errors', text: mrkdwn(`*Errors*\n${items.map((e) => `• ${safe(e, 400)}`).join('\n')}${omitted ? `\n+${omitted} more` : ''}`) });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(`Report \`${esc(r._id)}\` · \`GET /api/reconcile/reports\``)] });
  return blocks;
}
