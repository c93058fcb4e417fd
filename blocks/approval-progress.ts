import type { KnownBlock } from '@slack/types';
import { escapeMrkdwn, mrkdwn } from './limits.ts';

/**
 * N-of-M progress on the approval sheet (issue 13): "1 of 2 approvals: ✅ @jane 10:02", the level
 * in order, and who may still approve (a delegate shown for the person away). Pure.
 */
export interface ProgressVote {
  by: string;
  voter: string;
  onBehalfOf?: string;
  decision: string;
  level: number;
  at: Date | string;
}

export interface ApprovalProgress {
  levels: { required: number; from: unknown }[];
  level: number;
  votes: ProgressVote[];
  /** Asked at the current level: `U1`, or `U1>U2` when U1 delegated to U2. */
  levelApprovers: string[];
  done: boolean;
}

const mention = (id: string) => (/^[UW][A-Z0-9]+$/.test(id) ? `<@${id}>` : escapeMrkdwn(id));
const hhmm = (at: Date | string) => new Date(at).toISOString().slice(11, 16);

function sourceText(from: unknown): string {
  if (from === 'admins') return 'admins';
  if (Array.isArray(from)) return from.map((u) => mention(String(u))).join(', ');
  return escapeMrkdwn(String(from));
}

export function voteText(v: ProgressVote): string {
  const who = v.onBehalfOf ? `${mention(v.by)} on behalf of ${mention(v.onBehalfOf)}` : mention(v.by);
  return `${v.decision === 'reject' ? ':x:' : ':white_check_mark:'} ${who} ${hhmm(v.at)}`;
}

export function buildProgressBlock(p: ApprovalProgress): KnownBlock | null {
  const total = p.levels.reduce((n, l) => n + l.required, 0);
  if (total <= 1 && p.votes.length === 0) return null;
  const lines: string[] = [];
  p.levels.forEach((l, i) => {
    const votes = p.votes.filter((v) => v.level === i && v.decision === 'approve');
    const label = p.levels.length > 1 ? `Level ${i + 1} (${sourceText(l.from)}): ` : '';
    lines.push(`${label}*${votes.length} of ${l.required}* approval${l.required === 1 ? '' : 's'}${votes.length ? `: ${votes.map(voteText).join(' · ')}` : ''}`);
  });
  const rejected = p.votes.find((v) => v.decision === 'reject');
  if (rejected) lines.push(voteText(rejected));
  if (!p.done && !rejected) {
    const voted = new Set(p.votes.flatMap((v) => [v.voter, v.by]));
    const still = p.levelApprovers
      .filter((a) => !voted.has(a.split('>')[0] as string))
      .map((a) => (a.includes('>') ? `${mention(a.split('>')[1] as string)} (for ${mention(a.split('>')[0] as string)})` : mention(a)));
    lines.push(`May still approve${p.levels.length > 1 ? ` at level ${p.level + 1}` : ''}: ${still.length ? still.slice(0, 20).join(', ') + (still.length > 20 ? ` and ${still.length - 20} more` : '') : 'nobody yet (add approvers)'}`);
  }
  return { type: 'section', block_id: 'approval_progress', text: mrkdwn(lines.join('\n')) };
}
