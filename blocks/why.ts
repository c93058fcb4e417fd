import type { Button, KnownBlock, ModalView } from '@slack/types';
import type { WhyStory } from '../src/services/explain.ts';
import type { WhySubject } from '../src/services/explain-sources.ts';
import { packLines } from './diff.ts';
import { duration, stamp, STATUS_ICONS } from './format.ts';
import { capBlocks, moreBlock, mrkdwn, plain, SLACK_LIMITS, truncate } from './limits.ts';
import { esc, mention, safe } from './text.ts';

export { safe } from './text.ts';

/** The Why? button (decided approval sheets, exception cards, ask answers); value = `kind:id`. */
export const WHY_ACTION = 'why_open';
export const WHY_MODAL = 'why_modal';

const SOURCE_LABEL: Record<WhyStory['source'], string> = { neo4j: 'Neo4j lineage', mongodb: 'MongoDB' };

const code = (text: string | null | undefined, max = 80): string => `\`${esc((text ?? '').replace(/`/g, "'"), max)}\``;

/** A Slack user mention for ids that look like one; anything else (e.g. `orch:sweeper`) as escaped text. */
export const who = mention;

/** A link to a message in Slack (works from any workspace member's client). */
export function sheetLink(sheet: { channel: string; ts: string } | null, label = 'sheet'): string {
  if (!sheet || !/^[\w-]{1,80}$/.test(sheet.channel) || !/^\d+\.\d+$/.test(sheet.ts)) return '';
  return `<https://slack.com/archives/${sheet.channel}/p${sheet.ts.replace('.', '')}|${label}>`;
}

export function subjectLabel(s: WhySubject): string {
  return s.kind === 'run' ? `run ${s.id}` : `${s.kind} ${s.id}`;
}

/** Matches every Why? button's action_id (`why_open`, or `why_open_<n>` when a block has several). */
export const WHY_ACTION_PATTERN = /^why_open(?:_\d+)?$/;

export function whyButton(s: WhySubject, text = 'Why?', index?: number): Button {
  return { type: 'button', action_id: index === undefined ? WHY_ACTION : `${WHY_ACTION}_${index}`, text: plain(text, SLACK_LIMITS.buttonText), value: truncate(`${s.kind}:${s.id}`, SLACK_LIMITS.buttonValue) };
}

function eventLines(w: WhyStory): string[] {
  return w.events.map((e) => `• ${code(e.subscriptionType ?? 'event')}${e.propertyName ? ` (${safe(e.propertyName, 60)})` : ''} · HubSpot event ${code(e.eventId ?? '?')} · ${stamp(e.occurredAt)} · stored as ${code(e.id)}`);
}

function runLines(w: WhyStory): string[] {
  return w.runs.map((r) => {
    const took = r.durationMs === null ? (r.finishedAt ? '' : ' · still open') : ` · took ${duration(r.durationMs)}`;
    const err = r.error ? `\n    _${safe(r.error, 200)}_` : '';
    return `• ${STATUS_ICONS[r.status] ?? ''} ${code(r.runId)} ${esc(r.workflowId)} *${r.status}* · ${esc(r.objectType)} ${esc(r.objectId, 40)} · started ${stamp(r.startedAt)}${took}${r.mode ? ` · ${r.mode}` : ''}${err}`;
  });
}

const DECISION: Record<string, string> = { approve: ':white_check_mark: Approved', reject: ':x: Rejected', expire: ':hourglass: Expired' };

function policyLine(p: NonNullable<WhyStory['approvals'][number]['policy']>): string {
  const validity = `valid ${p.validFrom ? `from ${stamp(p.validFrom)}` : ''}${p.validTo ? ` to ${stamp(p.validTo)}` : ' (still in force)'}${p.createdBy ? `, created by ${who(p.createdBy)}` : ''}`;
  const rules = p.matched.length ? p.matched.map((m) => `${code(m.id)}${m.description ? ` ${safe(m.description, 120)}` : ''}${m.level ? ` (${m.level})` : ''}`).join('; ') : '_none_';
  const when = p.laterVersionAtDecision ? `the version the sheet was evaluated and decided under; v${p.laterVersionAtDecision} had started by the decision` : 'in force at the decision';
  return `    Policy *${esc(p.name)}* v${p.version} ${when} (${validity}) · rules matched: ${rules}`;
}

function approvalLines(w: WhyStory): string[] {
  return w.approvals.flatMap((a) => {
    const head = a.decision ? `${DECISION[a.decision] ?? esc(a.decision)} by ${who(a.decidedBy)} at ${stamp(a.decidedAt)}` : `:raised_hand: Waiting for a decision since ${stamp(a.requestedAt)}`;
    const link = sheetLink(a.sheet);
    const lines = [`• ${head} · ${safe(a.title ?? a.approvalId, 120)} · run ${code(a.runId)}${link ? ` · ${link}` : ''}`];
    if (a.reason) lines.push(`    > ${safe(a.reason, 400)}`);
    if (a.policy) lines.push(policyLine(a.policy));
    return lines;
  });
}

function writeLines(w: WhyStory): string[] {
  return w.writes.map((x) =>
    x.performed
      ? `• :floppy_disk: ${esc(x.system)} record ${code(x.recordId)}${x.op ? ` · ${safe(x.op, 80)}` : ''} · performed · run ${code(x.runId)}`
      : `• :test_tube: ${esc(x.system)}${x.target ? ` ${safe(x.target, 60)}` : ''}${x.op ? ` · ${safe(x.op, 40)}` : ''} · dry-run, not written · run ${code(x.runId)}`,
  );
}

function exceptionLines(w: WhyStory): string[] {
  return w.exceptions.map((e) => {
    const fix = e.resolvedAt ? ` · ${e.status} by ${who(e.resolvedBy)} at ${stamp(e.resolvedAt)}${e.resolution ? `: ${safe(e.resolution, 200)}` : ''}` : ` · *${e.status}*`;
    return `• ${code(e.exceptionId)} ${esc(e.type)} (${e.severity}) ${safe(e.title, 150)} · seen ${stamp(e.firstSeenAt)}${fix}`;
  });
}

function sectionBlocks(title: string, lines: string[], empty: string): KnownBlock[] {
  const body = lines.length ? lines : [`_${empty}_`];
  return packLines([`*${title}*`, ...body]).map((text) => ({ type: 'section', text: mrkdwn(text) }) as KnownBlock);
}

/** The story's blocks, in order: events, runs, approvals with policy, writes, exceptions. */
function storyBlocks(w: WhyStory): KnownBlock[] {
  const asOf = w.asOf ? ` · as of ${stamp(w.asOf)}` : '';
  const note = w.sourceNote ? ` (${esc(w.sourceNote)})` : '';
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(`Why: ${subjectLabel(w.subject)}`, SLACK_LIMITS.headerText) },
    { type: 'context', block_id: 'why_source', elements: [mrkdwn(`Source: *${SOURCE_LABEL[w.source]}*${note}${asOf}`)] },
  ];
  if (w.runs.length === 0) {
    blocks.push({ type: 'section', block_id: 'why_empty', text: mrkdwn(`:grey_question: orch knows no run for ${esc(subjectLabel(w.subject), 120)}${asOf ? ' at that date' : ''}. Try \`/orch runs\` to list recent ones.`) });
    return blocks;
  }
  blocks.push(
    ...sectionBlocks(`1. Webhook events that started it (${w.events.length})`, eventLines(w), 'no webhook event (started by a replay, a retry or the API)'),
    ...sectionBlocks(`2. Runs (${w.runs.length})`, runLines(w), ''),
    ...sectionBlocks(`3. Approvals (${w.approvals.length})`, approvalLines(w), 'no approval was needed'),
    ...sectionBlocks(`4. What was written where (${w.writes.length})`, writeLines(w), 'nothing written'),
    ...sectionBlocks(`5. Exceptions and fixes since (${w.exceptions.length})`, exceptionLines(w), 'none'),
  );
  return blocks;
}

/** One line for notifications: no mentions, no outside markup. */
export function whyText(w: WhyStory): string {
  const decided = w.approvals.filter((a) => a.decision).length;
  return truncate(`Why ${subjectLabel(w.subject)}: ${w.runs.length} run(s), ${w.approvals.length} approval(s) (${decided} decided), ${w.writes.length} write(s), ${w.exceptions.length} exception(s). Source: ${SOURCE_LABEL[w.source]}${w.sourceNote ? ` (${w.sourceNote})` : ''}.`, SLACK_LIMITS.messageText);
}

/** The ephemeral `/orch why` answer (≤ 50 blocks). */
export function buildWhy(w: WhyStory): { text: string; blocks: KnownBlock[] } {
  return { text: esc(whyText(w), SLACK_LIMITS.messageText), blocks: capBlocks(storyBlocks(w), SLACK_LIMITS.messageBlocks, (n) => moreBlock(n, 'sections') as KnownBlock) };
}

/** The same story in a modal (Why? button; ≤ 100 blocks). */
export function buildWhyModal(w: WhyStory): ModalView {
  return {
    type: 'modal',
    callback_id: WHY_MODAL,
    title: plain('Why?', SLACK_LIMITS.modalTitle),
    close: plain('Close', SLACK_LIMITS.modalButton),
    blocks: capBlocks(storyBlocks(w), SLACK_LIMITS.viewBlocks, (n) => moreBlock(n, 'sections') as KnownBlock),
  };
}

/** A modal saying why there is no story to show (bad button value, lookup failure). */
export function buildWhyErrorModal(message: string): ModalView {
  return { type: 'modal', callback_id: WHY_MODAL, title: plain('Why?', SLACK_LIMITS.modalTitle), close: plain('Close', SLACK_LIMITS.modalButton), blocks: [{ type: 'section', text: mrkdwn(esc(message)) }] };
}
