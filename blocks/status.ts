import type { KnownBlock } from '@slack/types';
import { mrkdwn } from './limits.ts';
import { esc } from './text.ts';
import { HEALTH_ICONS, stamp } from './format.ts';

export interface StatusInput {
  health: Record<string, string>;
  mode: string;
  version: string;
  queue: { pendingUnits: number | null; pendingRuns: number; runningRuns: number; pendingApprovals: number; openExceptions: number };
  asOf: Date;
}

export function healthLines(health: Record<string, string>): string {
  return Object.entries(health)
    .map(([name, state]) => `${HEALTH_ICONS[state] ?? ':grey_question:'} ${esc(name)}: *${esc(state)}*`)
    .join('\n');
}

export function modeLine(mode: string): string {
  return mode === 'live' ? ':red_circle: *live* — external writes are performed' : ':large_blue_circle: *dry-run* — writes are computed and shown, not performed';
}

/** `/orch status`: dependencies, mode, version and queue depths. */
export function buildStatus(s: StatusInput): { text: string; blocks: KnownBlock[] } {
  const q = s.queue;
  const queue = [
    `Pending units: *${q.pendingUnits ?? '–'}*`,
    `Pending runs: *${q.pendingRuns}*`,
    `Running: *${q.runningRuns}*`,
    `Pending approvals: *${q.pendingApprovals}*`,
    `Open exceptions: *${q.openExceptions}*`,
  ];
  const degraded = Object.entries(s.health).filter(([, v]) => v === 'degraded').map(([k]) => k);
  const text = `orch ${esc(s.version)} · ${esc(s.mode)} · ${degraded.length ? `degraded: ${esc(degraded.join(', '))}` : 'all configured dependencies ok'}`;
  return {
    text,
    blocks: [
      { type: 'section', block_id: 'status_head', text: mrkdwn(`*orch status* · version \`${esc(s.version)}\`\n${modeLine(s.mode)}`) },
      { type: 'section', block_id: 'status_health', text: mrkdwn(`*Dependencies*\n${healthLines(s.health)}`) },
      { type: 'section', block_id: 'status_queue', fields: queue.map((f) => mrkdwn(f)) },
      { type: 'context', block_id: 'status_asof', elements: [mrkdwn(`Queue depths as of ${stamp(s.asOf)}`)] },
    ],
  };
}
