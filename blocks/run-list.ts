import type { KnownBlock } from '@slack/types';
import { mrkdwn, plain, SLACK_LIMITS, truncate } from './limits.ts';
import { esc, safe } from './text.ts';
import { ago, duration, STATUS_ICONS } from './format.ts';

export const RUNS_MORE_ACTION = 'runs_more';

export interface RunRow {
  _id: string;
  workflowId: string;
  status: string;
  objectType?: string;
  objectId?: string;
  startedAt: Date;
  finishedAt?: Date | null;
  error?: string | null;
  /** How a finished run ended (approved, rejected, expired, written, no_changes, ...). */
  result?: { outcome?: string | null } | null;
}

export interface RunListFilters {
  status?: string;
  workflow?: string;
  /** Look-back in ms (from --since). */
  sinceMs?: number;
  sinceText?: string;
}

export interface RunListInput {
  runs: RunRow[];
  filters: RunListFilters;
  /** Opaque cursor for the next page; null on the last page. */
  next: string | null;
  now: Date;
  page?: number;
}

export function runLine(r: RunRow, now: Date): string {
  const icon = STATUS_ICONS[r.status] ?? ':grey_question:';
  const object = r.objectType ? ` · ${esc(r.objectType)} ${esc(r.objectId ?? '')}` : '';
  const took = r.finishedAt ? ` · took ${duration(new Date(r.finishedAt).getTime() - new Date(r.startedAt).getTime())}` : '';
  const err = r.status === 'FAILED' && r.error ? `\n> ${safe(r.error, 150).replace(/\n/g, ' ')}` : '';
  // A rejected (or expired, unchanged...) run is COMPLETED too: its outcome says how it ended.
  const outcome = r.result?.outcome && r.result.outcome !== 'completed' ? ` (${esc(r.result.outcome)})` : '';
  return `${icon} \`${esc(r._id)}\` *${esc(r.workflowId)}*${object} · ${esc(r.status)}${outcome} · ${ago(r.startedAt, now)}${took}${err}`;
}

function describeFilters(f: RunListFilters): string {
  const parts = [f.status ? `status ${f.status}` : '', f.workflow ? `workflow ${f.workflow}` : '', f.sinceText ? `since ${f.sinceText}` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : 'all runs';
}

/** `/orch runs`: newest first, one line per run, a "More" button carrying the cursor of the next page. */
export function buildRunList(input: RunListInput): { text: string; blocks: KnownBlock[] } {
  const page = input.page ?? 1;
  const title = `Runs — ${describeFilters(input.filters)}${page > 1 ? ` (page ${page})` : ''}`;
  const blocks: KnownBlock[] = [{ type: 'section', block_id: 'runs_title', text: mrkdwn(`*${esc(title, 500)}*`) }];
  if (input.runs.length === 0) {
    blocks.push({ type: 'section', block_id: 'runs_empty', text: mrkdwn('No runs match.') });
  } else {
    // One section per run keeps each under the 3000-character limit whatever the error text.
    input.runs.slice(0, 40).forEach((r, i) => blocks.push({ type: 'section', block_id: `run_row_${i}`, text: mrkdwn(runLine(r, input.now)) }));
  }
  if (input.next) {
    blocks.push({
      type: 'actions',
      block_id: 'runs_more_block',
      elements: [{ type: 'button', action_id: RUNS_MORE_ACTION, text: plain('More', SLACK_LIMITS.buttonText), value: truncate(input.next, SLACK_LIMITS.buttonValue) }],
    });
  }
  blocks.push({ type: 'context', block_id: 'runs_hint', elements: [mrkdwn('`/orch run &lt;id&gt;` shows steps, timings, approvals and errors.')] });
  return { text: `${esc(title, 500)}: ${input.runs.length} shown`, blocks };
}
