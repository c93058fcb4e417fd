import type { KnownBlock } from '@slack/types';
import { mrkdwn, plain, truncate } from './limits.ts';
import { safe, safePlain } from './text.ts';

/**
 * A choice the approver makes together with Approve (contact-role-mapping: the role picker;
 * deal-stage-kickoff: the slot). Stored on the Approval (`choice`), so any instance can redraw it;
 * the value chosen at Approve time is read from the click's `state.values` and stored as `chosen`.
 */
export interface ApprovalChoice {
  /** What is chosen ("role", "slot"). */
  id: string;
  label: string;
  kind: 'static_select' | 'radio_buttons';
  options: { value: string; text: string; description?: string }[];
  /** Preselected (`initial_option`): Approve alone chooses it. */
  initial: string;
}

export const CHOICE_BLOCK_ID = 'approval_choice';
/** One action id per kind; selecting an option only acks (the value is read at Approve). */
export const CHOICE_ACTIONS = { static_select: 'approval_choice_select', radio_buttons: 'approval_choice_radio' } as const;

/** Slack's limits: select options ≤ 100, radio buttons ≤ 10, option text ≤ 75, value ≤ 150, description ≤ 75. */
const MAX_OPTIONS = { static_select: 100, radio_buttons: 10 } as const;

function option(o: ApprovalChoice['options'][number], kind: ApprovalChoice['kind']) {
  return {
    text: kind === 'radio_buttons' ? mrkdwn(safe(o.text, 60), 75) : plain(safePlain(o.text, 75), 75),
    value: truncate(o.value, 150),
    ...(o.description && kind === 'radio_buttons' ? { description: mrkdwn(safe(o.description, 60), 75) } : {}),
  };
}

/** The picker (pending) or the chosen value (decided). Returns nothing for a sheet without a choice. */
export function buildChoiceBlocks(choice: ApprovalChoice | undefined, decided?: { chosen?: string | null; decision: string }): KnownBlock[] {
  if (!choice || choice.options.length === 0) return [];
  const options = choice.options.slice(0, MAX_OPTIONS[choice.kind]);
  const label = safe(choice.label, 100);
  if (decided) {
    if (decided.decision !== 'approve') return [];
    const value = decided.chosen ?? choice.initial;
    const picked = options.find((o) => o.value === value);
    return [{ type: 'section', text: mrkdwn(`*${label}:* ${safe(picked?.text ?? value, 200)}`) }];
  }
  const initial = options.find((o) => o.value === choice.initial) ?? options[0];
  const element = {
    type: choice.kind,
    action_id: CHOICE_ACTIONS[choice.kind],
    options: options.map((o) => option(o, choice.kind)),
    ...(initial ? { initial_option: option(initial, choice.kind) } : {}),
    ...(choice.kind === 'static_select' ? { placeholder: plain(safePlain(choice.label, 150), 150) } : {}),
  };
  return [
    { type: 'section', text: mrkdwn(`*${label}* (the preselected one applies unless you change it before Approve)`) },
    { type: 'actions', block_id: CHOICE_BLOCK_ID, elements: [element as never] },
  ];
}

/** The option value chosen in the message, from a block_actions payload's `state.values`. */
export function chosenFromState(state: unknown, choice: ApprovalChoice | undefined): string | undefined {
  if (!choice) return undefined;
  const values = (state as { values?: Record<string, Record<string, { selected_option?: { value?: string } | null }>> } | undefined)?.values;
  const picked = values?.[CHOICE_BLOCK_ID]?.[CHOICE_ACTIONS[choice.kind]]?.selected_option?.value;
  // Only a value the sheet offered counts; anything else (tampered, stale) means the preselected one.
  return picked && choice.options.some((o) => o.value === picked) ? picked : choice.initial;
}
