/**
 * Slack Block Kit limits (https://docs.slack.dev/reference/block-kit) and small helpers
 * to stay inside them whatever the data. Slack rejects the whole message when one
 * limit is exceeded, so every builder clamps its input with these.
 */
export const SLACK_LIMITS = {
  /** Blocks in a message (chat.postMessage / chat.update). */
  messageBlocks: 50,
  /** Blocks in a modal or Home tab view. */
  viewBlocks: 100,
  /** text of a section block (mrkdwn or plain_text). */
  sectionText: 3000,
  /** fields of a section block. */
  sectionFields: 10,
  /** Each field text of a section block. */
  fieldText: 2000,
  /** header block plain_text. */
  headerText: 150,
  /** Button text (plain_text). */
  buttonText: 75,
  /** Button value. */
  buttonValue: 2000,
  /** action_id / block_id. */
  actionId: 255,
  /** Elements in a context block. */
  contextElements: 10,
  /** Elements in an actions block. */
  actionElements: 25,
  /** Modal title (plain_text). */
  modalTitle: 24,
  /** Modal submit/close button text. */
  modalButton: 24,
  /** private_metadata of a view. */
  privateMetadata: 3000,
  /** Top-level message text (fallback/notification text); Slack truncates beyond 40k, we stay far below. */
  messageText: 4000,
  /** Confirm dialog title / button texts. */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Text of an option in static selects. */
  optionText: 75,
} as const;

const ELLIPSIS = '…';

/**
 * Shortens `text` to at most `max` characters (code points), ending with an ellipsis when cut.
 * Never splits a surrogate pair; `max` < 1 yields ''.
 */
export function truncate(text: string | null | undefined, max: number): string {
  const s = text ?? '';
  if (max < 1) return '';
  if (s.length <= max) return s;
  // A code point is 1–2 code units, so only the first 2·max units can matter (60k-char names stay cheap).
  const chars = Array.from(s.length > 2 * max + 2 ? s.slice(0, 2 * max + 2) : s);
  if (chars.length <= max && s.length <= 2 * max + 2) return s;
  if (max === 1) return ELLIPSIS;
  return chars.slice(0, max - 1).join('') + ELLIPSIS;
}

/**
 * Caps a block list at `max` blocks. When cut, the last kept slot becomes a context block
 * saying how many were left out (built by `overflow(n)`), so readers know the view is partial.
 */
export function capBlocks<T>(
  blocks: T[],
  max: number = SLACK_LIMITS.messageBlocks,
  overflow?: (omitted: number) => T,
): T[] {
  if (blocks.length <= max) return blocks;
  if (!overflow) return blocks.slice(0, max);
  const kept = blocks.slice(0, Math.max(0, max - 1));
  return [...kept, overflow(blocks.length - kept.length)];
}

/** A context block saying "+N more …", the default overflow marker for capBlocks. */
export function moreBlock(omitted: number, what = 'blocks'): {
  type: 'context';
  elements: { type: 'mrkdwn'; text: string }[];
} {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: `+${omitted} more ${what} not shown` }] };
}

/** Caps a list of items, returning the kept items and how many were left out. */
export function capList<T>(items: T[], max: number): { items: T[]; omitted: number } {
  if (items.length <= max) return { items, omitted: 0 };
  return { items: items.slice(0, max), omitted: items.length - max };
}

/** Escapes Slack mrkdwn control characters (&, <, >) so user data cannot form links or mentions. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A plain_text object clamped to `max`. */
export function plain(text: string, max: number): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text: truncate(text, max) || ' ', emoji: true };
}

/** A mrkdwn object clamped to `max` (default: section text limit). */
export function mrkdwn(text: string, max: number = SLACK_LIMITS.sectionText): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: truncate(text, max) || ' ' };
}
