/**
 * Reveal with a reason (issue 12): where a sheet, card or run detail hides personal data, a
 * Reveal button opens a modal asking why; an admin then sees the raw values in a modal only
 * they can see (never in the channel), and the reveal is audited as `pii.reveal`.
 */
import type { Button, KnownBlock, ModalView } from '@slack/types';
import type { ApprovalSheetInput } from './approval-sheet.ts';
import type { ExceptionCardInput } from './exception-card.ts';
import { capBlocks, moreBlock, mrkdwn, plain, SLACK_LIMITS, truncate } from './limits.ts';
import { hidesPii } from './pii.ts';
import { esc, safe } from './text.ts';

export const REVEAL_ACTION = 'pii_reveal';
export const REVEAL_MODAL = 'pii_reveal_modal';
export const REVEAL_REASON_BLOCK = 'reveal_reason_block';
export const REVEAL_REASON_INPUT = 'reveal_reason_input';

export type RevealKind = 'approval' | 'exception';
export interface RevealTarget {
  kind: RevealKind;
  id: string;
}

/** One hidden value: where it is shown and what it really is. */
export interface PiiEntry {
  label: string;
  value: unknown;
}

export function revealButton(t: RevealTarget): Button {
  return { type: 'button', action_id: REVEAL_ACTION, text: plain(':lock: Reveal', SLACK_LIMITS.buttonText), value: truncate(`${t.kind}:${t.id}`, SLACK_LIMITS.buttonValue) };
}

export function parseRevealTarget(value: string | undefined): RevealTarget | null {
  const m = /^(approval|exception):(.{1,200})$/.exec(value ?? '');
  return m ? { kind: m[1] as RevealKind, id: m[2] as string } : null;
}

/** What the approval sheet (and its Details modal) masks. */
export function sheetPiiEntries(s: Pick<ApprovalSheetInput, 'title' | 'fields' | 'diff' | 'flags'>): PiiEntry[] {
  const out: PiiEntry[] = [];
  if (hidesPii(s.title)) out.push({ label: 'Title', value: s.title });
  for (const f of s.fields) if (hidesPii(f.value, f.label)) out.push({ label: f.label, value: f.value });
  for (const d of s.diff) {
    if (hidesPii(d.old, d.field)) out.push({ label: `${d.field} (before)`, value: d.old });
    if (hidesPii(d.new, d.field)) out.push({ label: d.field, value: d.new });
  }
  for (const f of s.flags) if (hidesPii(f.message)) out.push({ label: `Flag ${f.ruleId}`, value: f.message });
  return out;
}

export const sheetHidesPii = (s: Pick<ApprovalSheetInput, 'title' | 'fields' | 'diff' | 'flags'>): boolean => sheetPiiEntries(s).length > 0;

/** What an exception card masks. */
export function cardPiiEntries(e: Pick<ExceptionCardInput, 'title' | 'diff' | 'proposedFix' | 'resolution'>): PiiEntry[] {
  const out: PiiEntry[] = [];
  if (hidesPii(e.title)) out.push({ label: 'Title', value: e.title });
  for (const d of e.diff) {
    if (hidesPii(d.hubspot, d.field)) out.push({ label: `${d.field} (HubSpot)`, value: d.hubspot });
    if (hidesPii(d.mirror, d.field)) out.push({ label: `${d.field} (mirror)`, value: d.mirror });
  }
  if (e.proposedFix && hidesPii(e.proposedFix.summary)) out.push({ label: 'Proposed fix', value: e.proposedFix.summary });
  if (hidesPii(e.resolution)) out.push({ label: 'Resolution', value: e.resolution });
  return out;
}

export const cardHidesPii = (e: Pick<ExceptionCardInput, 'title' | 'diff' | 'proposedFix' | 'resolution'>): boolean => cardPiiEntries(e).length > 0;

/** Step 1: why do you need to see it? (required). private_metadata carries the target. */
export function buildRevealReasonModal(t: RevealTarget, fields: string[]): ModalView {
  return {
    type: 'modal',
    callback_id: REVEAL_MODAL,
    private_metadata: JSON.stringify(t),
    title: plain('Reveal personal data', SLACK_LIMITS.modalTitle),
    submit: plain('Reveal', SLACK_LIMITS.modalButton),
    close: plain('Cancel', SLACK_LIMITS.modalButton),
    blocks: [
      { type: 'section', block_id: 'reveal_what', text: mrkdwn(`Hidden on ${t.kind} \`${esc(t.id)}\`: ${fields.map((f) => `*${esc(f, 80)}*`).join(', ') || '_nothing_'}.\nThe values are shown to you only, here, and the reveal is audited with your reason.`) },
      {
        type: 'input',
        block_id: REVEAL_REASON_BLOCK,
        label: plain('Why do you need to see it?', 2000),
        element: { type: 'plain_text_input', action_id: REVEAL_REASON_INPUT, multiline: true, min_length: 3, max_length: 500, placeholder: plain('e.g. calling the customer back about the renewal', 150) },
      },
    ],
  };
}

export function parseRevealMeta(text: string | undefined): RevealTarget | null {
  try {
    const v = JSON.parse(text ?? '') as RevealTarget;
    return parseRevealTarget(`${v?.kind}:${v?.id}`);
  } catch {
    return null;
  }
}

/** Step 2 (admins only): the raw values, escaped but NOT masked, in a modal only the admin sees. */
export function buildRevealedModal(t: RevealTarget, entries: PiiEntry[]): ModalView {
  const rows: KnownBlock[] = entries.map((e, i) => ({
    type: 'section',
    block_id: `revealed_${i}`,
    text: mrkdwn(`*${esc(e.label, 100)}*\n${safe(e.value, 2500, { mask: false }) || '_(empty)_'}`),
  }));
  return {
    type: 'modal',
    callback_id: 'pii_revealed_modal',
    title: plain('Personal data', SLACK_LIMITS.modalTitle),
    close: plain('Close', SLACK_LIMITS.modalButton),
    blocks: capBlocks<KnownBlock>(
      [{ type: 'context', block_id: 'revealed_note', elements: [mrkdwn(`:lock: ${t.kind} \`${esc(t.id)}\` · shown to you only · this reveal is audited`)] }, ...(rows.length ? rows : [{ type: 'section', text: mrkdwn('Nothing is hidden here any more.') } as KnownBlock])],
      SLACK_LIMITS.viewBlocks,
      (n) => moreBlock(n, 'values') as KnownBlock,
    ),
  };
}
