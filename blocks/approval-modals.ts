import type { KnownBlock, ModalView } from '@slack/types';
import type { ApprovalSheetInput } from './approval-sheet.ts';
import { writeLine } from './approval-sheet.ts';
import { diffLine, packLines } from './diff.ts';
import { capBlocks, moreBlock, plain, SLACK_LIMITS, truncate } from './limits.ts';
import { esc, safe } from './text.ts';

export const REJECT_MODAL = {
  callbackId: 'approval_reject_modal',
  blockId: 'reject_reason_block',
  actionId: 'reject_reason_input',
} as const;

export interface RejectModalMeta {
  approvalId: string;
  channel?: string;
  ts?: string;
}

/** Reject modal: a required reason; the message to update travels in private_metadata. */
export function buildRejectModal(meta: RejectModalMeta, title: string): ModalView {
  return {
    type: 'modal',
    callback_id: REJECT_MODAL.callbackId,
    private_metadata: truncate(JSON.stringify(meta), SLACK_LIMITS.privateMetadata),
    title: plain('Reject approval', SLACK_LIMITS.modalTitle),
    submit: plain('Reject', SLACK_LIMITS.modalButton),
    close: plain('Cancel', SLACK_LIMITS.modalButton),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(`Rejecting *${safe(title, 300)}*. The reason is stored with the decision and shown in the thread.`, SLACK_LIMITS.sectionText) } },
      {
        type: 'input',
        block_id: REJECT_MODAL.blockId,
        label: plain('Reason', 2000),
        element: { type: 'plain_text_input', action_id: REJECT_MODAL.actionId, multiline: true, max_length: 2000, placeholder: plain('Why is this rejected?', 150) },
      },
    ],
  };
}

/** Reads private_metadata back; null when missing or tampered with. */
export function parseRejectMeta(text: string | undefined): RejectModalMeta | null {
  try {
    const v = JSON.parse(text ?? '') as RejectModalMeta;
    return typeof v?.approvalId === 'string' ? v : null;
  } catch {
    return null;
  }
}

export interface RunStepView {
  name: string;
  status: string;
  attempt?: number;
  durationMs?: number;
  error?: string;
}

/** Details modal: the full diff (values up to 500 chars, still masked), writes and run steps; ≤ 100 blocks. */
export function buildDetailsModal(s: ApprovalSheetInput, steps: RunStepView[], status: string): ModalView {
  const diffChunks = packLines(s.diff.map((e) => diffLine(e, 500, true)));
  const stepLines = steps.map(
    (st) => `• \`${esc(st.name)}\` ${esc(st.status)}${st.attempt && st.attempt > 1 ? ` (attempt ${st.attempt})` : ''}${st.durationMs !== undefined ? ` ${st.durationMs} ms` : ''}${st.error ? ` — ${safe(st.error, 200)}` : ''}`,
  );
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`*${esc(s.workflowId)}* · run \`${esc(s.runId)}\` · status *${esc(status)}* · policy ${esc(s.policy.name)} v${s.policy.version}`, SLACK_LIMITS.sectionText) } },
    { type: 'header', text: plain(`Changes (${s.diff.length})`, SLACK_LIMITS.headerText) },
    ...(diffChunks.length ? diffChunks : ['_No changes._']).map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }) as KnownBlock),
    { type: 'header', text: plain('Writes', SLACK_LIMITS.headerText) },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(s.intendedWrites.map(writeLine).join('\n') || '_None._', SLACK_LIMITS.sectionText) } },
    { type: 'header', text: plain('Steps', SLACK_LIMITS.headerText) },
    ...packLines(stepLines.length ? stepLines : ['_No steps yet._']).map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }) as KnownBlock),
  ];
  return {
    type: 'modal',
    callback_id: 'approval_details_modal',
    title: plain('Approval details', SLACK_LIMITS.modalTitle),
    close: plain('Close', SLACK_LIMITS.modalButton),
    blocks: capBlocks<KnownBlock>(blocks, SLACK_LIMITS.viewBlocks, (n) => moreBlock(n, 'sections') as KnownBlock),
  };
}
