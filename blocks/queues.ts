import type { KnownBlock } from '@slack/types';
import { mrkdwn, plain, SLACK_LIMITS } from './limits.ts';
import { esc, safe } from './text.ts';
import { ago } from './format.ts';

export interface PendingApprovalRow {
  _id: string;
  runId: string;
  title?: string | null;
  workflowId?: string;
  objectType?: string;
  objectId?: string;
  requestedAt: Date;
  expiresAt?: Date | null;
}

/** `/orch approvals`: oldest first, with the sheet's Approve/Reject/Details buttons for admins. */
export function buildApprovalList(rows: PendingApprovalRow[], total: number, opts: { canDecide: boolean; now: Date }): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [{ type: 'section', block_id: 'approvals_title', text: mrkdwn(`*Pending approvals: ${total}*${total > rows.length ? ` (oldest ${rows.length} shown)` : ''}`) }];
  if (rows.length === 0) blocks.push({ type: 'section', block_id: 'approvals_none', text: mrkdwn('Nothing waits for a decision. :tada:') });
  rows.forEach((a, i) => {
    const what = a.title ? safe(a.title, 200) : esc(`${a.workflowId ?? ''} ${a.objectType ?? ''} ${a.objectId ?? ''}`);
    blocks.push({ type: 'section', block_id: `approval_row_${i}`, text: mrkdwn(`*${what}*\n\`${esc(a._id)}\` · run \`${esc(a.runId)}\` · requested ${ago(a.requestedAt, opts.now)}`) });
    const elements = [{ type: 'button' as const, action_id: 'approval_details', text: plain('Details', SLACK_LIMITS.buttonText), value: a._id }];
    if (opts.canDecide) {
      elements.unshift(
        { type: 'button' as const, action_id: 'approval_approve', text: plain('Approve', SLACK_LIMITS.buttonText), value: a._id, style: 'primary' } as never,
        { type: 'button' as const, action_id: 'approval_reject', text: plain('Reject', SLACK_LIMITS.buttonText), value: a._id, style: 'danger' } as never,
      );
    }
    blocks.push({ type: 'actions', block_id: `approval_row_actions_${i}`, elements });
  });
  if (!opts.canDecide && rows.length > 0) blocks.push({ type: 'context', block_id: 'approvals_role', elements: [mrkdwn('Only admins approve or reject.')] });
  return { text: `${total} pending approvals`, blocks };
}

export interface OpenExceptionRow {
  _id: string;
  type: string;
  severity?: string;
  title?: string | null;
  objectType?: string;
  objectId?: string;
  occurrences?: number | null;
  lastSeenAt?: Date;
}

/** `/orch exceptions`: the open ones, most recently seen first. */
export function buildExceptionList(rows: OpenExceptionRow[], total: number, now: Date): { text: string; blocks: KnownBlock[] } {
  const icon = (s?: string) => (s === 'high' ? ':rotating_light:' : s === 'medium' ? ':warning:' : ':information_source:');
  const lines = rows.map(
    (e) => `${icon(e.severity)} \`${esc(e._id)}\` *${esc(e.type)}* — ${e.title ? safe(e.title, 150) : esc(`${e.objectType ?? ''} ${e.objectId ?? ''}`)} · seen ${e.occurrences ?? 1}× · last ${ago(e.lastSeenAt, now)}`,
  );
  return {
    text: `${total} open exceptions`,
    blocks: [
      { type: 'section', block_id: 'exceptions_title', text: mrkdwn(`*Open exceptions: ${total}*${total > rows.length ? ` (latest ${rows.length} shown)` : ''}`) },
      { type: 'section', block_id: 'exceptions_list', text: mrkdwn(lines.length ? lines.join('\n') : 'No open exceptions. :sparkles:') },
    ],
  };
}
