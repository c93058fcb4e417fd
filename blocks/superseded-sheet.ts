import type { KnownBlock } from '@slack/types';
import { escapeMrkdwn, mrkdwn, plain, SLACK_LIMITS, truncate } from './limits.ts';

/** What a superseded or re-asked sheet says instead of its buttons (issue 14 defect 1). */
export interface SupersededInput {
  workflowId: string;
  title: string;
  /** Permalink of the newer sheet, when Slack gave one. */
  link?: string | null;
  /** Why, in a line: "Amount: 15000 → 500000". */
  why?: string | null;
  kind: 'superseded' | 'asked_again';
  at: Date;
}

const stamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function supersededText(s: SupersededInput): string {
  const what = s.kind === 'superseded' ? 'Superseded by a newer change' : 'Nothing was written: the record changed since this sheet';
  return `${what}: ${escapeMrkdwn(s.workflowId)} · ${escapeMrkdwn(truncate(s.title, 300))}`;
}

/** The sheet redrawn in place: no buttons, the reason, and a link to the sheet that replaces it. */
export function buildSupersededSheet(s: SupersededInput): KnownBlock[] {
  const link = s.link ? `<${s.link}|the new sheet>` : 'the new sheet in this channel';
  const head = s.kind === 'superseded' ? `:arrows_counterclockwise: *Superseded by a newer change:* ${link}` : `:warning: *Nothing was written: the record changed since this sheet was approved.* A fresh sheet asks again: ${link}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(`${s.kind === 'superseded' ? 'Superseded' : 'Asked again'}: ${s.workflowId} · ${s.title}`, SLACK_LIMITS.headerText) },
    { type: 'section', block_id: 'approval_superseded', text: mrkdwn(head) },
  ];
  if (s.why) blocks.push({ type: 'section', block_id: 'approval_superseded_why', text: mrkdwn(`What changed: ${escapeMrkdwn(truncate(s.why, 2500))}`) });
  blocks.push({ type: 'context', elements: [mrkdwn(`Decisions on this sheet are no longer accepted · ${stamp(s.at)}`, 300)] });
  return blocks;
}
