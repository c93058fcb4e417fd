import type { KnownBlock } from '@slack/types';
import { mrkdwn, SLACK_LIMITS } from './limits.ts';
import { esc, link, mention, safe } from './text.ts';
import { hidesPii } from './pii.ts';
import { revealButton } from './reveal.ts';
import { duration, stamp, STATUS_ICONS } from './format.ts';

export interface RunDetailInput {
  run: {
    _id: string;
    workflowId: string;
    status: string;
    objectType?: string;
    objectId?: string;
    mode?: string | null;
    startedAt: Date;
    finishedAt?: Date | null;
    approvalWaitMs?: number | null;
    attempts?: number | null;
    retried?: boolean | null;
    error?: string | null;
    errorClass?: string | null;
    steps?: { name: string; status: string; attempt?: number | null; durationMs?: number | null; error?: string | null }[];
    trigger?: { eventIds?: string[] | null } | null;
  };
  approvals: { _id: string; status: string; title?: string | null; decidedBy?: string | null; decidedAt?: Date | null; reason?: string | null }[];
  exceptions: { _id: string; type: string; status: string; title?: string | null }[];
  /** e.g. the HubSpot record URL. */
  links?: { text: string; url: string }[];
}

const STEP_ICONS: Record<string, string> = { completed: ':white_check_mark:', failed: ':x:', running: ':arrows_counterclockwise:', waiting: ':raised_hand:', skipped: ':fast_forward:' };

/** `/orch run <id>`: what happened, step by step, with approvals, exceptions and errors. */
export function buildRunDetail(input: RunDetailInput): { text: string; blocks: KnownBlock[] } {
  const r = input.run;
  const total = r.finishedAt ? new Date(r.finishedAt).getTime() - new Date(r.startedAt).getTime() : null;
  const head = `${STATUS_ICONS[r.status] ?? ''} *Run \`${esc(r._id)}\`* — ${esc(r.workflowId)} · ${esc(r.status)}`;
  const facts = [
    `*Object:* ${esc(`${r.objectType ?? '?'} ${r.objectId ?? ''}`)}`,
    `*Started:* ${stamp(r.startedAt)}`,
    `*Took:* ${duration(total)}${r.approvalWaitMs ? ` (approval wait ${duration(r.approvalWaitMs)})` : ''}`,
    `*Attempts:* ${r.attempts ?? 0}${r.retried ? ' (retried)' : ''}`,
    `*Mode:* ${esc(r.mode ?? '–')}`,
    `*Events:* ${(r.trigger?.eventIds ?? []).length}`,
  ];
  const blocks: KnownBlock[] = [
    { type: 'section', block_id: 'run_head', text: mrkdwn(head) },
    { type: 'section', block_id: 'run_facts', fields: facts.map((f) => mrkdwn(f, SLACK_LIMITS.fieldText)) },
  ];
  const steps = (r.steps ?? []).map((s) => `${STEP_ICONS[s.status] ?? '•'} ${esc(s.name)} · ${duration(s.durationMs)}${(s.attempt ?? 1) > 1 ? ` · attempt ${s.attempt}` : ''}${s.error ? ` — ${safe(s.error, 200)}` : ''}`);
  blocks.push({ type: 'section', block_id: 'run_steps', text: mrkdwn(`*Steps*\n${steps.length ? steps.join('\n') : '_no steps recorded yet_'}`) });
  if (r.error) blocks.push({ type: 'section', block_id: 'run_error', text: mrkdwn(`*Error*${r.errorClass ? ` (${esc(r.errorClass)})` : ''}\n\`\`\`${safe(r.error, 2500)}\`\`\``) });
  if (input.approvals.length) {
    const lines = input.approvals.map((a) => `• \`${esc(a._id)}\` ${safe(a.title ?? '', 200)} — ${esc(a.status)}${a.decidedBy ? ` by ${mention(a.decidedBy)} ${stamp(a.decidedAt)}` : ''}${a.reason ? ` — “${safe(a.reason, 200)}”` : ''}`);
    blocks.push({ type: 'section', block_id: 'run_approvals', text: mrkdwn(`*Approvals*\n${lines.join('\n')}`) });
    // Titles or reasons masked here: admins can Reveal them (the button refuses anyone else).
    const hiding = input.approvals.filter((a) => hidesPii(a.title) || hidesPii(a.reason)).slice(0, 5);
    // One block each: an action_id must be unique within its block.
    hiding.forEach((a, i) => blocks.push({ type: 'actions', block_id: `run_reveal_${i}`, elements: [revealButton({ kind: 'approval', id: a._id })] }));
  }
  if (input.exceptions.length) {
    const lines = input.exceptions.map((e) => `• \`${esc(e._id)}\` ${esc(e.type)} — ${esc(e.status)}${e.title ? ` — ${safe(e.title, 200)}` : ''}`);
    blocks.push({ type: 'section', block_id: 'run_exceptions', text: mrkdwn(`*Exceptions*\n${lines.join('\n')}`) });
  }
  if (input.links?.length) {
    blocks.push({ type: 'context', block_id: 'run_links', elements: input.links.slice(0, 10).map((l) => mrkdwn(link(l.url, l.text))) });
  }
  return { text: `Run ${esc(r._id)}: ${esc(r.workflowId)} ${esc(r.status)}`, blocks };
}
