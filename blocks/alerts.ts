import type { KnownBlock, Button } from '@slack/types';
import { SLACK_LIMITS, mrkdwn, plain } from './limits.ts';
import { safe, safePlain } from './text.ts';

export const ALERT_ACTIONS = {
  viewRun: 'alert_view_run',
  retryRun: 'alert_retry_run',
  viewException: 'alert_view_exception',
  /** URL buttons get `alert_link_<n>`; Slack still sends an action, which is only acked. */
  linkPrefix: 'alert_link_',
} as const;

export type AlertKind = 'run_failed' | 'approval_expired' | 'exception';
export type AlertSeverity = 'low' | 'medium' | 'high';

export interface AlertView {
  kind: AlertKind;
  severity: AlertSeverity;
  /** Raw text (not escaped): this builder masks and escapes it for both the blocks and the notification. */
  text: string;
  runId?: string;
  exceptionId?: string;
  links?: { text: string; url: string }[];
  /** Extra blocks from the caller, shown under the headline. */
  blocks?: KnownBlock[];
  count: number;
  windowStart: Date;
  windowMs: number;
}

const TITLES: Record<AlertKind, string> = {
  run_failed: 'Run failed',
  approval_expired: 'Approval expired',
  exception: 'Exception needs a fix',
};
const ICONS: Record<AlertSeverity, string> = { low: ':information_source:', medium: ':warning:', high: ':rotating_light:' };

function humanWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)}s`;
}

/** "Happened 50 times since 05:01 UTC" once a problem repeats inside the dedup window. */
export function repeatLine(count: number, windowStart: Date, windowMs: number): string {
  const since = windowStart.toISOString().slice(11, 16);
  return `Happened *${count} times* since ${since} UTC — you get one DM per ${humanWindow(windowMs)} for the same problem; this one is kept up to date.`;
}

function actionButtons(a: AlertView): Button[] {
  const buttons: Button[] = [];
  if (a.runId) {
    buttons.push({ type: 'button', action_id: ALERT_ACTIONS.viewRun, text: plain('View run', SLACK_LIMITS.buttonText), value: a.runId });
    if (a.kind === 'run_failed') {
      buttons.push({ type: 'button', action_id: ALERT_ACTIONS.retryRun, text: plain('Retry', SLACK_LIMITS.buttonText), value: a.runId, style: 'primary' });
    }
  }
  if (a.exceptionId) {
    buttons.push({ type: 'button', action_id: ALERT_ACTIONS.viewException, text: plain('View exception', SLACK_LIMITS.buttonText), value: a.exceptionId });
  }
  (a.links ?? []).slice(0, 5).forEach((l, i) => {
    buttons.push({ type: 'button', action_id: `${ALERT_ACTIONS.linkPrefix}${i}`, text: plain(safePlain(l.text, SLACK_LIMITS.buttonText), SLACK_LIMITS.buttonText), url: l.url });
  });
  return buttons;
}

/** The DM for one alert window; rebuilt with the new count when the same problem repeats. */
export function buildAlertMessage(a: AlertView): { text: string; blocks: KnownBlock[] } {
  const title = TITLES[a.kind];
  const countSuffix = a.count > 1 ? ` (×${a.count})` : '';
  const blocks: KnownBlock[] = [
    { type: 'section', block_id: 'alert_headline', text: mrkdwn(`${ICONS[a.severity]} *${title}*${countSuffix}\n${safe(a.text, 2900)}`) },
  ];
  for (const b of (a.blocks ?? []).slice(0, 40)) blocks.push(b);
  if (a.count > 1) {
    blocks.push({ type: 'context', block_id: 'alert_count', elements: [mrkdwn(repeatLine(a.count, a.windowStart, a.windowMs))] });
  }
  const buttons = actionButtons(a);
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: 'alert_actions', elements: buttons });
  const text = `${title}${countSuffix}: ${safe(a.text, 2900)}`;
  return { text, blocks };
}
