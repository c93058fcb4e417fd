import type { KnownBlock } from '@slack/types';
import { buildProgressBlock, type ApprovalProgress } from './approval-progress.ts';
import { buildDiffBlocks, type DiffEntry } from './diff.ts';
import { buildChoiceBlocks, type ApprovalChoice } from './approval-choice.ts';
import { capBlocks, escapeMrkdwn, moreBlock, plain, SLACK_LIMITS, truncate } from './limits.ts';
import { esc, mention, safe, safePlain } from './text.ts';
import { revealButton, sheetHidesPii } from './reveal.ts';
import { whyButton } from './why.ts';

export const APPROVAL_ACTIONS = {
  approve: 'approval_approve',
  reject: 'approval_reject',
  details: 'approval_details',
} as const;

export interface SheetFlag {
  ruleId: string;
  level: 'LOW' | 'MEDIUM' | 'HIGH';
  message: string;
  /** Where it came from (workflows/risk.ts): the rules' floor or the AI, which can only add or raise. */
  source?: 'rules' | 'ai';
}

const SOURCE_TAG = { rules: ' _(rules)_', ai: ' _(AI)_' } as const;

export interface IntendedWrite {
  system: 'airtable' | 'hubspot' | 'notion' | 'google' | 'slack';
  target: string;
  op: 'upsert' | 'update' | 'create';
  key: string;
  fields?: Record<string, unknown>;
  performed?: boolean;
  recordId?: string;
}

export interface ApprovalSheetInput {
  approvalId: string;
  runId: string;
  workflowId: string;
  title: string;
  objectType: string;
  objectId: string;
  trigger: string;
  requestedAt: Date | string;
  fields: { label: string; value: unknown }[];
  diff: DiffEntry[];
  flags: SheetFlag[];
  policy: { name: string; version: number; matched: string[] };
  intendedWrites: IntendedWrite[];
  mode: 'dry-run' | 'live';
  /** A role picker or slot choice made together with Approve (blocks/approval-choice.ts). */
  choice?: ApprovalChoice;
  /** The option chosen at Approve time. */
  chosen?: string | null;
  /** N-of-M progress: votes so far and who may still approve (blocks/approval-progress.ts). */
  progress?: ApprovalProgress;
}

export interface DecisionInfo {
  decision: 'approve' | 'reject' | 'expire';
  actor: string;
  at: Date | string;
  reason?: string;
}

const LEVEL_ICON: Record<SheetFlag['level'], string> = { HIGH: ':red_circle:', MEDIUM: ':large_orange_circle:', LOW: ':large_yellow_circle:' };

const iso = (d: Date | string) => (typeof d === 'string' ? d : d.toISOString()).replace(/\.\d{3}Z$/, 'Z');
/** Slack renders <!date^…> in the reader's time zone; the fallback text is UTC. */
const slackDate = (d: Date | string) => {
  const t = Math.floor(new Date(d).getTime() / 1000);
  return `<!date^${t}^{date_short_pretty} {time}|${iso(d)}>`;
};

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.sectionText) || ' ' } };
}

function headerBlocks(s: ApprovalSheetInput): KnownBlock[] {
  return [
    { type: 'header', text: plain(`Approval needed: ${s.workflowId} · ${safePlain(s.title, SLACK_LIMITS.headerText)}`, SLACK_LIMITS.headerText) },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: truncate(`Run \`${esc(s.runId)}\` · ${esc(s.objectType)} ${esc(s.objectId)} · trigger: ${esc(s.trigger)} · ${slackDate(s.requestedAt)}`, SLACK_LIMITS.sectionText) },
      ],
    },
  ];
}

function fieldBlocks(s: ApprovalSheetInput): KnownBlock[] {
  if (s.fields.length === 0) return [];
  const fields = s.fields.slice(0, SLACK_LIMITS.sectionFields).map((f) => ({
    type: 'mrkdwn' as const,
    text: truncate(`*${esc(f.label, 60)}*\n${safe(f.value, 200, { field: f.label }) || '—'}`, SLACK_LIMITS.fieldText),
  }));
  return [{ type: 'section', fields }];
}

function flagBlocks(s: ApprovalSheetInput): KnownBlock[] {
  if (s.flags.length === 0) return [];
  const lines = s.flags.slice(0, 10).map((f) => `${LEVEL_ICON[f.level]} *${f.level}* ${safe(f.message, 200)}${f.source ? SOURCE_TAG[f.source] : ''}`);
  if (s.flags.length > 10) lines.push(`+${s.flags.length - 10} more flags`);
  return [section(`*Risk flags*\n${lines.join('\n')}`)];
}

function policyBlock(s: ApprovalSheetInput): KnownBlock {
  const matched = s.policy.matched.length ? s.policy.matched.map((m) => `\`${escapeMrkdwn(m)}\``).join(', ') : '_none_';
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`Policy *${escapeMrkdwn(s.policy.name)}* v${s.policy.version} · matched: ${matched}`, SLACK_LIMITS.sectionText) }] };
}

export function writeLine(w: IntendedWrite): string {
  const n = Object.keys(w.fields ?? {}).length;
  const state = w.performed === undefined ? '' : w.performed ? ' — written' : ' — not written (dry-run)';
  return `• ${w.system} ${escapeMrkdwn(w.target)}: ${w.op} keyed by ${escapeMrkdwn(truncate(w.key, 80))}${n ? ` (${n} field${n === 1 ? '' : 's'})` : ''}${state}`;
}

function writesBlocks(s: ApprovalSheetInput): KnownBlock[] {
  if (s.intendedWrites.length === 0) return [];
  const head = s.mode === 'dry-run' ? '*Intended writes* (dry-run: shown, not performed)' : '*Writes on approval*';
  const lines = s.intendedWrites.slice(0, 10).map(writeLine);
  return [section(`${head}\n${lines.join('\n')}`)];
}

function actionsBlock(s: ApprovalSheetInput): KnownBlock {
  return {
    type: 'actions',
    block_id: 'approval_actions',
    elements: [
      {
        type: 'button',
        action_id: APPROVAL_ACTIONS.approve,
        style: 'primary',
        text: plain('Approve', SLACK_LIMITS.buttonText),
        value: s.approvalId,
        confirm: {
          title: plain('Approve this change?', SLACK_LIMITS.confirmTitle),
          text: { type: 'mrkdwn', text: truncate(`${s.mode === 'dry-run' ? 'Dry-run: writes are shown, not performed.' : 'orch will write the changes listed.'} ${s.diff.length} change(s) on ${safe(s.title, 150)}.`, SLACK_LIMITS.confirmText) },
          confirm: plain('Approve', SLACK_LIMITS.confirmButton),
          deny: plain('Cancel', SLACK_LIMITS.confirmButton),
        },
      },
      { type: 'button', action_id: APPROVAL_ACTIONS.reject, style: 'danger', text: plain('Reject', SLACK_LIMITS.buttonText), value: s.approvalId },
      { type: 'button', action_id: APPROVAL_ACTIONS.details, text: plain('Details', SLACK_LIMITS.buttonText), value: s.approvalId },
      ...(sheetHidesPii(s) ? [revealButton({ kind: 'approval', id: s.approvalId })] : []),
    ],
  };
}

/** Notification text for the message (shown in notifications and where blocks can't render). */
export function sheetText(s: ApprovalSheetInput): string {
  return `Approval needed: ${esc(s.workflowId)} · ${safe(s.title, 300)} (${s.diff.length} change(s), ${s.flags.length} flag(s))`;
}

/** The approval sheet posted to ORCH_APPROVALS_CHANNEL; ≤ 50 blocks and masked whatever the data. */
export function buildApprovalSheet(s: ApprovalSheetInput, decided?: DecisionInfo): KnownBlock[] {
  const blocks: KnownBlock[] = [
    ...headerBlocks(s),
    ...(s.mode === 'dry-run' ? [section(':test_tube: *Dry-run mode*: nothing will be written to Airtable, HubSpot or Notion.')] : []),
    ...fieldBlocks(s),
    { type: 'divider' },
    section(`*Changes* (${s.diff.length})`),
    ...buildDiffBlocks(s.diff, { maxEntries: 15, maxValueChars: 120, maxBlocks: 6, mask: true }),
    ...flagBlocks(s),
    ...writesBlocks(s),
    policyBlock(s),
    ...progressBlocks(s),
  ];
  const choice = buildChoiceBlocks(s.choice, decided ? { chosen: s.chosen ?? null, decision: decided.decision } : undefined);
  // Decided: the banner carries a Why? button opening the `/orch why` story of the run (blocks/why.ts).
  const tail: KnownBlock[] = decided ? [...choice, { ...decisionBanner(decided), accessory: whyButton({ kind: 'run', id: s.runId }) } as KnownBlock] : [...choice, actionsBlock(s)];
  // Keep the actions/banner whatever happens to the middle.
  const body = capBlocks<KnownBlock>(blocks, SLACK_LIMITS.messageBlocks - tail.length, (n) => moreBlock(n) as KnownBlock);
  return [...body, ...tail];
}

function progressBlocks(s: ApprovalSheetInput): KnownBlock[] {
  const b = s.progress ? buildProgressBlock(s.progress) : null;
  return b ? [b] : [];
}

export function decisionBanner(d: DecisionInfo): KnownBlock {
  const icon = d.decision === 'approve' ? ':white_check_mark: *Approved*' : d.decision === 'reject' ? ':x: *Rejected*' : ':hourglass: *Expired*';
  const who = d.decision === 'expire' ? 'no decision in time' : `by ${mention(d.actor)}`;
  const reason = d.reason ? `\n>${safe(d.reason, 500).replace(/\n/g, '\n>')}` : '';
  return section(`${icon} ${who} at ${slackDate(d.at)}${reason}`);
}

export function decidedText(s: ApprovalSheetInput, d: DecisionInfo): string {
  const word = d.decision === 'approve' ? 'Approved' : d.decision === 'reject' ? 'Rejected' : 'Expired';
  return `${word}: ${esc(s.workflowId)} · ${safe(s.title, 300)}`;
}
