import type { Button, KnownBlock } from '@slack/types';
import { SLACK_LIMITS, capList, mrkdwn, plain, truncate } from './limits.ts';
import { maskPii } from './pii.ts';
import { esc, mention, safe } from './text.ts';
import { cardHidesPii, revealButton } from './reveal.ts';
import { whyButton } from './why.ts';

/** Stable action ids of the exception card (snake_case, never renamed: old messages keep them). */
export const EXCEPTION_ACTIONS = {
  preview: 'exception_preview',
  apply: 'exception_apply',
  ignore: 'exception_ignore',
  assign: 'exception_assign',
} as const;
export const EXCEPTION_IGNORE_MODAL = 'exception_ignore_modal';
export const IGNORE_REASON_BLOCK = 'ignore_reason_block';
export const IGNORE_REASON_INPUT = 'ignore_reason_input';

/** What the card shows; a plain subset of the Exception document. */
export interface ExceptionCardInput {
  _id: string;
  type: string;
  severity: 'low' | 'medium' | 'high';
  status: string;
  objectType: string;
  objectId: string;
  title?: string;
  diff: { field: string; hubspot: unknown; mirror: unknown }[];
  proposedFix?: { kind: string; summary: string; writes: unknown[] };
  occurrences: number;
  firstSeenAt: Date | string;
  lastSeenAt: Date | string;
  assignee?: string;
  resolvedBy?: string;
  resolution?: string;
}

const ICON: Record<string, string> = { low: ':large_blue_circle:', medium: ':large_orange_circle:', high: ':red_circle:' };
const TYPE_LABEL: Record<string, string> = {
  missing_in_mirror: 'Missing in mirror',
  orphan_in_mirror: 'Orphan in mirror',
  field_drift: 'Field drift',
  duplicate_mirror: 'Duplicate mirror rows',
  integration_error: 'Integration error (dead letter)',
};

export function typeLabel(type: string): string {
  return TYPE_LABEL[type] ?? type;
}

const day = (d: Date | string) => new Date(d).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
const show = (v: unknown, field: string) => (v === null || v === undefined || v === '' ? '_(empty)_' : `\`${safe(v, 300, { field })}\``);

/** One exception: what, the diff, the proposed fix, and the four actions while it is open. */
export function buildExceptionCard(e: ExceptionCardInput): KnownBlock[] {
  const blocks: KnownBlock[] = [
    { type: 'section', block_id: `exc_title:${e._id}`, text: mrkdwn(`${ICON[e.severity] ?? ''} *${safe(e.title ?? typeLabel(e.type), 500)}*`), ...whyAccessory(e) },
    {
      type: 'context',
      elements: [mrkdwn(`${esc(typeLabel(e.type))} · ${esc(e.severity)} · ${esc(e.objectType)} ${esc(e.objectId)} · seen ${e.occurrences}× since ${day(e.firstSeenAt)} · \`${esc(e._id)}\``, 2000)],
    },
  ];
  if (e.diff.length > 0) {
    const { items, omitted } = capList(e.diff, SLACK_LIMITS.sectionFields);
    blocks.push({
      type: 'section',
      block_id: `exc_diff:${e._id}`,
      fields: items.map((d) => mrkdwn(`*${esc(d.field, 100)}*\nHubSpot: ${show(d.hubspot, d.field)}\nMirror: ${show(d.mirror, d.field)}`, SLACK_LIMITS.fieldText)),
    });
    if (omitted) blocks.push({ type: 'context', elements: [mrkdwn(`+${omitted} more fields differ`)] });
  }
  if (e.proposedFix) blocks.push({ type: 'section', block_id: `exc_fix:${e._id}`, text: mrkdwn(`*Proposed fix:* ${safe(e.proposedFix.summary, 2900)}`) });
  if (e.status === 'open') blocks.push(buildExceptionActions(e));
  else blocks.push({ type: 'context', elements: [mrkdwn(statusLine(e))] });
  if (e.assignee && e.status === 'open') blocks.push({ type: 'context', elements: [mrkdwn(`Assigned to ${mention(e.assignee)}`)] });
  return blocks;
}

/** Why? (the `/orch why` story of the object in a modal) for exceptions about a deal, company or contact. */
function whyAccessory(e: Pick<ExceptionCardInput, 'objectType' | 'objectId'>): { accessory?: Button } {
  return ['deal', 'company', 'contact'].includes(e.objectType) && /^[\w-]{1,80}$/.test(e.objectId) ? { accessory: whyButton({ kind: e.objectType as 'deal', id: e.objectId }) } : {};
}

export function statusLine(e: Pick<ExceptionCardInput, 'status' | 'resolvedBy' | 'resolution'>): string {
  const who = e.resolvedBy ? (e.resolvedBy.startsWith('orch:') ? ` by ${esc(e.resolvedBy)}` : ` by ${mention(e.resolvedBy)}`) : '';
  const icon = e.status === 'resolved' ? ':white_check_mark:' : e.status === 'ignored' ? ':no_entry_sign:' : ':hourglass_flowing_sand:';
  return truncate(`${icon} *${esc(e.status)}*${who}${e.resolution ? `: ${safe(e.resolution, 1900)}` : ''}`, 2000);
}

function buildExceptionActions(e: ExceptionCardInput): KnownBlock {
  const retry = e.type === 'integration_error';
  const canApply = retry || (e.proposedFix?.writes.length ?? 0) > 0;
  const apply: Button = {
    type: 'button',
    action_id: EXCEPTION_ACTIONS.apply,
    text: plain(retry ? 'Retry run' : 'Apply fix', SLACK_LIMITS.buttonText),
    value: e._id,
    style: 'primary',
    confirm: {
      title: plain(retry ? 'Retry this run?' : 'Apply this fix?', SLACK_LIMITS.confirmTitle),
      text: mrkdwn(
        truncate(retry ? 'The run continues from its last checkpoint.' : `${safe(e.proposedFix?.summary ?? '', 150)}. Both systems are re-read first; if anything changed since detection, nothing is written.`, SLACK_LIMITS.confirmText),
        SLACK_LIMITS.confirmText,
      ),
      confirm: plain(retry ? 'Retry' : 'Apply', SLACK_LIMITS.confirmButton),
      deny: plain('Cancel', SLACK_LIMITS.confirmButton),
    },
  };
  const elements: Button[] = [
    { type: 'button', action_id: EXCEPTION_ACTIONS.preview, text: plain('Preview fix', SLACK_LIMITS.buttonText), value: e._id },
    ...(canApply ? [apply] : []),
    { type: 'button', action_id: EXCEPTION_ACTIONS.ignore, text: plain('Ignore', SLACK_LIMITS.buttonText), value: e._id },
    { type: 'button', action_id: EXCEPTION_ACTIONS.assign, text: plain('Assign to me', SLACK_LIMITS.buttonText), value: e._id },
    ...(cardHidesPii(e) ? [revealButton({ kind: 'exception', id: e._id })] : []),
  ];
  return { type: 'actions', block_id: `exc_actions:${e._id}`, elements };
}

/** Many new exceptions at once: one message listing them, each with a Preview button. */
export function buildExceptionList(items: ExceptionCardInput[], max = 20): KnownBlock[] {
  const { items: shown, omitted } = capList(items, Math.min(max, Math.floor((SLACK_LIMITS.messageBlocks - 3) / 1)));
  const blocks: KnownBlock[] = [{ type: 'header', text: plain(`${items.length} new exceptions`, SLACK_LIMITS.headerText) }];
  for (const e of shown) {
    blocks.push({
      type: 'section',
      block_id: `exc_row:${e._id}`,
      text: mrkdwn(`${ICON[e.severity] ?? ''} *${safe(e.title ?? typeLabel(e.type), 500)}*\n${esc(typeLabel(e.type))} · ${esc(e.severity)} · \`${esc(e._id)}\``),
      accessory: { type: 'button', action_id: EXCEPTION_ACTIONS.preview, text: plain('Open', SLACK_LIMITS.buttonText), value: e._id },
    });
  }
  if (omitted) blocks.push({ type: 'context', elements: [mrkdwn(`+${omitted} more not shown: \`GET /api/exceptions?status=open\``)] });
  return blocks;
}

/** The Ignore modal: a required reason; private_metadata carries the exception and its message. */
export function buildIgnoreModal(meta: { exceptionId: string; channel?: string; ts?: string }, title?: string) {
  return {
    type: 'modal' as const,
    callback_id: EXCEPTION_IGNORE_MODAL,
    private_metadata: JSON.stringify(meta),
    title: plain('Ignore exception', SLACK_LIMITS.modalTitle),
    submit: plain('Ignore', SLACK_LIMITS.modalButton),
    close: plain('Cancel', SLACK_LIMITS.modalButton),
    blocks: [
      { type: 'section', text: mrkdwn(safe(title ?? meta.exceptionId, 2900)) },
      {
        type: 'input',
        block_id: IGNORE_REASON_BLOCK,
        label: plain('Why is this fine to ignore?', 2000),
        element: { type: 'plain_text_input', action_id: IGNORE_REASON_INPUT, multiline: true, min_length: 3, max_length: 500 },
      },
    ] as KnownBlock[],
  };
}

/** The raw one-line summary (masked, NOT escaped): for builders that escape it themselves, e.g. alerts. */
export function exceptionSummary(e: Pick<ExceptionCardInput, 'title' | 'type' | 'severity'>): string {
  return maskPii(`[${e.severity}] ${typeLabel(e.type)}: ${e.title ?? ''}`, 500);
}

/** Fallback text for notifications: masked and escaped. */
export function exceptionText(e: Pick<ExceptionCardInput, 'title' | 'type' | 'severity'>): string {
  return safe(exceptionSummary(e), SLACK_LIMITS.messageText);
}
