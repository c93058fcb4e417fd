import type { KnownBlock } from '@slack/types';
import { SLACK_LIMITS, truncate } from './limits.ts';
import { esc, safe } from './text.ts';

/** One changed field between the mirror (old) and what orch would write (new). */
export interface DiffEntry {
  field: string;
  kind: 'added' | 'removed' | 'changed';
  old?: unknown;
  new?: unknown;
}

export interface DiffRenderOptions {
  /** Entries shown before "+N more". */
  maxEntries?: number;
  /** Characters per value before truncation. */
  maxValueChars?: number;
  /** Mask emails/phones (channel messages: always). */
  mask?: boolean;
}

/** A value as a reader sees it: truncated, masked (known PII fields whole), one line, mrkdwn-safe. */
export function formatValue(value: unknown, maxChars: number, mask = true, field?: string): string {
  if (value === undefined || value === null || value === '') return '_(empty)_';
  return safe(value, maxChars, { mask, field: field ?? null }).replace(/\s+/g, ' ');
}

/** "• *field*: old → new" lines; the caller decides how many fit. */
export function diffLine(entry: DiffEntry, maxValueChars: number, mask = true): string {
  const field = esc(entry.field, 80);
  const v = (x: unknown) => formatValue(x, maxValueChars, mask, entry.field);
  if (entry.kind === 'added') return `• *${field}*: ${v(entry.new)} _(new)_`;
  if (entry.kind === 'removed') return `• *${field}*: ~${v(entry.old)}~ _(removed)_`;
  return `• *${field}*: ${v(entry.old)} → ${v(entry.new)}`;
}

/** Packs lines into as few sections as possible, each within Slack's 3000-character text limit. */
export function packLines(lines: string[], maxChars: number = SLACK_LIMITS.sectionText): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const line of lines) {
    const safe = truncate(line, maxChars);
    if (current && current.length + 1 + safe.length > maxChars) {
      chunks.push(current);
      current = safe;
    } else {
      current = current ? `${current}\n${safe}` : safe;
    }
  }
  if (current) chunks.push(current);
  return chunks;
}

/**
 * The diff as section blocks: at most `maxEntries` entries (default 15) and `maxBlocks` blocks,
 * then a context line "+N more changes" so nothing is silently dropped.
 */
export function buildDiffBlocks(diff: DiffEntry[], opts: DiffRenderOptions & { maxBlocks?: number } = {}): KnownBlock[] {
  const maxEntries = opts.maxEntries ?? 15;
  const maxValue = opts.maxValueChars ?? 120;
  const maxBlocks = Math.max(2, opts.maxBlocks ?? 6);
  if (diff.length === 0) return [{ type: 'section', text: { type: 'mrkdwn', text: '_No changes against the mirror._' } }];
  const shown = diff.slice(0, maxEntries);
  const chunks = packLines(shown.map((e) => diffLine(e, maxValue, opts.mask ?? true)));
  const kept = chunks.slice(0, maxBlocks - 1);
  // Entries in dropped chunks count as "more" too.
  const shownCount = kept.reduce((n, c) => n + c.split('\n').length, 0);
  const blocks: KnownBlock[] = kept.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }));
  const more = diff.length - shownCount;
  if (more > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `+${more} more change${more === 1 ? '' : 's'} (see Details)` }] });
  return blocks;
}
