import type { Button, KnownBlock } from '@slack/types';
import type { AskAnswer, AskResult, DecidedItem } from '../src/services/ask.ts';
import type { WhyStory } from '../src/services/explain.ts';
import { packLines } from './diff.ts';
import { stamp } from './format.ts';
import { capBlocks, moreBlock, mrkdwn, SLACK_LIMITS, truncate } from './limits.ts';
import { esc } from './text.ts';
import { buildPolicyAsOf } from './policy.ts';
import { maskValue } from './pii.ts';
import { safe, sheetLink, subjectLabel, who, whyButton } from './why.ts';

const DECIDED: Record<string, string> = { approve: 'approved', reject: 'rejected', expire: 'expired' };
const SOURCE: Record<string, string> = { neo4j: 'Neo4j lineage', mongodb: 'MongoDB' };

const runRef = (id: string) => `run \`${esc(id, 80)}\``;

function decidedLine(a: DecidedItem): string {
  const link = sheetLink(a.sheet);
  const policy = a.policy ? ` · policy *${esc(a.policy.name)}* v${esc(a.policy.version)}` : '';
  return `• ${DECIDED[a.decision ?? ''] ?? 'decided'} ${safe(a.title ?? a.approvalId, 120)} at ${stamp(a.at)} · ${runRef(a.runId)}${link ? ` · ${link}` : ''}${policy}${a.reason ? `\n    > ${safe(a.reason, 300)}` : ''}`;
}

function storyApprovals(story: WhyStory, withWhy: boolean): string[] {
  const decided = story.approvals.filter((a) => a.decision);
  if (decided.length === 0) return [`No approval of ${esc(subjectLabel(story.subject), 120)} has been decided${story.approvals.length ? ' yet (one is waiting)' : ''}.`];
  return decided.flatMap((a) => {
    const link = sheetLink(a.sheet);
    const lines = [`• ${DECIDED[a.decision ?? ''] ?? 'decided'} by ${who(a.decidedBy)} at ${stamp(a.decidedAt)} · ${safe(a.title ?? a.approvalId, 120)} · ${runRef(a.runId)}${link ? ` · ${link}` : ''}`];
    if (withWhy) {
      if (a.reason) lines.push(`    Reason: ${safe(a.reason, 400)}`);
      if (a.policy) {
        const rules = a.policy.matched.map((m) => `\`${esc(m.id)}\`${m.description ? ` (${safe(m.description, 100)})` : ''}`).join(', ') || '_none_';
        lines.push(`    Under policy *${esc(a.policy.name)}* v${a.policy.version} (in force at the decision) · rules that matched: ${rules}`);
      }
    }
    return lines;
  });
}

function changeLines(r: Extract<AskResult, { query: 'what_changed' }>): string[] {
  const changes = r.changes.slice(0, 40).map((c) => `• *${safe(c.field, 60)}* ${esc(c.kind)}: \`${esc(maskValue(c.old, { field: c.field }) || '—', 80)}\` → \`${esc(maskValue(c.new, { field: c.field }) || '—', 80)}\` · ${stamp(c.at)} · ${runRef(c.runId)}`);
  const writes = r.story.writes.map((w) => `• ${esc(w.system)} ${w.recordId ? `record \`${esc(w.recordId, 60)}\`` : safe(w.target, 60)} · ${w.performed ? 'written' : 'dry-run, not written'} · ${runRef(w.runId)}`);
  return [`*Proposed changes (${r.changes.length})*`, ...(changes.length ? changes : ['_none_']), `*Writes (${writes.length})*`, ...(writes.length ? writes : ['_none_'])];
}

function resultLines(r: AskResult): string[] {
  switch (r.query) {
    case 'who_approved':
      return [`*Who approved ${esc(subjectLabel(r.story.subject), 120)}*`, ...storyApprovals(r.story, false)];
    case 'why_approved':
      return [`*Why ${esc(subjectLabel(r.story.subject), 120)} was approved*`, ...storyApprovals(r.story, true)];
    case 'what_changed':
      return [`*What changed on ${esc(subjectLabel(r.story.subject), 120)}*${r.since ? ` since ${stamp(r.since)}` : ''}`, ...changeLines(r)];
    case 'approvals_by':
      return [`*Approvals decided by ${who(r.user)} since ${stamp(r.since)} (${r.approvals.length})*`, ...(r.approvals.length ? r.approvals.map(decidedLine) : ['_none_'])];
    case 'waiting_for_me': {
      const pending = r.canDecide ? r.approvals.map((a) => `• ${safe(a.title ?? a.approvalId, 120)} · waiting since ${stamp(a.requestedAt)} · ${runRef(a.runId)}${sheetLink(a.sheet) ? ` · ${sheetLink(a.sheet)}` : ''}`) : ['_Only admins decide approvals; none wait for you._'];
      const exc = r.exceptions.map((e) => `• \`${esc(e.exceptionId)}\` ${esc(e.type)} (${esc(e.severity)}) ${safe(e.title, 120)}`);
      return [`*Approvals waiting for a decision (${r.approvals.length})*`, ...(pending.length ? pending : ['_none_']), `*Exceptions assigned to you (${r.exceptions.length})*`, ...(exc.length ? exc : ['_none_'])];
    }
    case 'policy_on':
      return [];
  }
}

function sourceOf(r: AskResult): string {
  if (r.query === 'policy_on') return SOURCE[r.result.source] ?? r.result.source;
  if (r.query === 'approvals_by') return SOURCE[r.source] ?? r.source;
  if (r.query === 'waiting_for_me') return 'MongoDB';
  return SOURCE[r.story.source] ?? r.story.source;
}

function runsOf(r: AskResult): string[] {
  if (r.query === 'approvals_by') return [...new Set(r.approvals.map((a) => a.runId))];
  if (r.query === 'waiting_for_me') return [...new Set(r.approvals.map((a) => a.runId))];
  if (r.query === 'policy_on') return [];
  return [...new Set(r.story.runs.map((x) => x.runId))];
}

/** The answer to `/orch ask`: what was understood, the answer in words, Why? buttons for the runs. */
export function buildAskAnswer(question: string, a: AskAnswer): { text: string; blocks: KnownBlock[] } {
  const via = a.via === 'openai' ? 'understood by OpenAI (catalogue query)' : 'understood by the built-in parser';
  const note = a.note ? ` · ${esc(a.note)}` : '';
  const head: KnownBlock = { type: 'context', block_id: 'ask_question', elements: [mrkdwn(`> ${safe(question, 300)}`)] };
  if (!a.ok) {
    const list = a.examples.map((e) => `• _${esc(e.example)}_ — ${esc(e.description)}`).join('\n');
    const text = "Sorry, I can't map that question to one I know.";
    return { text, blocks: [head, { type: 'section', block_id: 'ask_unknown', text: mrkdwn(`:thinking_face: ${text}${note}\n*Questions I understand:*\n${list}`) }] };
  }
  const r = a.result;
  const body: KnownBlock[] = r.query === 'policy_on' ? buildPolicyAsOf(r.name, r.result).blocks : packLines(resultLines(r)).map((t) => ({ type: 'section', text: mrkdwn(t) }) as KnownBlock);
  const buttons: Button[] = runsOf(r).slice(0, 5).map((id, i) => whyButton({ kind: 'run', id }, `Why? ${truncate(id, 60)}`, i));
  const tail: KnownBlock[] = [
    ...(buttons.length ? [{ type: 'actions', block_id: 'ask_why', elements: buttons } as KnownBlock] : []),
    { type: 'context', block_id: 'ask_via', elements: [mrkdwn(`Query \`${r.query}\` · ${via} · source: ${sourceOf(r)}${note}`)] },
  ];
  const blocks = [head, ...capBlocks(body, SLACK_LIMITS.messageBlocks - 1 - tail.length, (n) => moreBlock(n, 'sections') as KnownBlock), ...tail];
  return { text: esc(`Answer (${r.query})`), blocks };
}
