import type { KnownBlock, View } from '@slack/types';
import type { BacktestResult } from '../src/services/backtest.ts';
import type { PolicySnapshot } from '../workflows/policy-eval.ts';
import { escapeMrkdwn, mrkdwn, plain, truncate } from './limits.ts';

/**
 * The policy backtest modal (current rules and thresholds as editable fields plus the full rule set
 * as JSON) and its result message with **Save as version N+1**. Pure builders.
 */
export const BACKTEST_MODAL = 'policy_backtest_modal';
export const BACKTEST_SAVE = 'backtest_save';
export const BT_DAYS = 'bt_days';
export const BT_JSON = 'bt_json';
export const BT_INPUT = 'value';
const MAX_RULE_FIELDS = 20;
const MAX_JSON = 3000;
const NUMERIC_OPS = new Set(['gt', 'gte', 'lt', 'lte']);

export interface BacktestMeta {
  policy: string;
  version: number;
  channel?: string;
  /** block_id → the value the field was opened with: only changed fields are applied. */
  orig: Record<string, string>;
  /** The JSON field as opened ('' = not shown, too large). */
  json: string;
}

type Rule = PolicySnapshot['rules'][number] & { approvals?: { required: number; from: unknown }; levels?: unknown[] };

function fieldValue(rule: Rule): string {
  const v = rule.when.value;
  return Array.isArray(v) ? v.map(String).join(', ') : String(v ?? '');
}

/** The editable fields: block_id → [label, initial value, numeric?]. */
export function backtestFields(policy: Pick<PolicySnapshot, 'rules' | 'thresholds'>): { blockId: string; label: string; value: string; numeric: boolean }[] {
  const out: { blockId: string; label: string; value: string; numeric: boolean }[] = [];
  for (const r of (policy.rules as Rule[]).slice(0, MAX_RULE_FIELDS)) {
    out.push({ blockId: `bt_rule:${r.id}`, label: `${r.id}: ${r.when.field} ${r.when.op}${NUMERIC_OPS.has(r.when.op) ? '' : ' (comma-separated)'}`, value: fieldValue(r), numeric: NUMERIC_OPS.has(r.when.op) });
    if (r.approvals && !r.levels) out.push({ blockId: `bt_votes:${r.id}`, label: `${r.id}: approvals required`, value: String(r.approvals.required), numeric: true });
  }
  for (const [k, v] of Object.entries(policy.thresholds ?? {}).slice(0, MAX_RULE_FIELDS)) {
    if (typeof v === 'number') out.push({ blockId: `bt_thr:${k}`, label: `threshold ${k}`, value: String(v), numeric: true });
  }
  return out;
}

export function policyJson(policy: Pick<PolicySnapshot, 'rules' | 'thresholds'>): string {
  return JSON.stringify({ rules: policy.rules, thresholds: policy.thresholds ?? {} }, null, 1);
}

export function buildBacktestModal(policy: PolicySnapshot, days: number, channel?: string): View {
  const fields = backtestFields(policy);
  const json = policyJson(policy);
  const jsonShown = json.length <= MAX_JSON ? json : '';
  const meta: BacktestMeta = { policy: policy.name, version: policy.version, ...(channel ? { channel } : {}), orig: Object.fromEntries(fields.map((f) => [f.blockId, f.value])), json: jsonShown };
  const input = (blockId: string, label: string, value: string, numeric: boolean): KnownBlock => ({
    type: 'input',
    block_id: blockId,
    label: plain(label, 2000),
    element: numeric
      ? { type: 'number_input', action_id: BT_INPUT, is_decimal_allowed: true, initial_value: value }
      : { type: 'plain_text_input', action_id: BT_INPUT, initial_value: truncate(value, 3000) },
  } as KnownBlock);
  const blocks: KnownBlock[] = [
    { type: 'section', text: mrkdwn(`Replays the stored facts of *${escapeMrkdwn(policy.name)}* runs (what each policy step saw) through this draft of version ${policy.version}. Nothing is written and nothing is called.`) },
    input(BT_DAYS, 'Days to replay', String(days), true),
    ...fields.map((f) => input(f.blockId, f.label, f.value, f.numeric)),
  ];
  if (jsonShown) {
    blocks.push({ type: 'input', block_id: BT_JSON, label: plain('Full rule set (JSON: edit for anything the fields above do not cover)', 2000), element: { type: 'plain_text_input', action_id: BT_INPUT, multiline: true, initial_value: jsonShown } } as KnownBlock);
  } else {
    blocks.push({ type: 'context', elements: [mrkdwn('The full rule set is too large to edit here: use `POST /api/policies/backtest`.')] });
  }
  return {
    type: 'modal',
    callback_id: BACKTEST_MODAL,
    title: plain('Policy backtest', 24),
    submit: plain('Run backtest', 24),
    close: plain('Cancel', 24),
    private_metadata: JSON.stringify(meta),
    blocks,
  };
}

const dir = (d: 'to_approval' | 'to_auto') => (d === 'to_approval' ? 'would now need approval' : 'would no longer need approval');

export interface ResultOptions {
  /** Admins get the Save button, with the encoded draft as its value (absent: too large or not admin). */
  saveValue?: string;
  nextVersion: number;
  saveNote?: string;
}

export function buildBacktestResult(r: BacktestResult, opts: ResultOptions): KnownBlock[] {
  const flips = r.flips.runs.slice(0, 15).map((f) => `• \`${f.runId}\` (${escapeMrkdwn(f.objectId)}, ${f.startedAt.slice(0, 10)}) ${dir(f.direction)}${f.rule ? ` — rule \`${escapeMrkdwn(f.rule)}\`` : ''}`);
  const more = r.flips.toApproval + r.flips.toAuto - flips.length;
  const weeks = r.loadPerWeek.slice(-12).map((w) => `• ${w.week}: ${w.did} → ${w.wouldNeed} approvals (${w.votesNeeded} votes)`);
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(`Backtest: ${r.policy}, last ${r.days} days`, 150) },
    {
      type: 'section',
      text: mrkdwn(`*${r.runs}* runs replayed. Needed approval then: *${r.didNeedApproval}*. With the draft: *${r.wouldNeedApproval}* (${r.votesNeeded} votes in all).\nFlips: *${r.flips.toApproval}* would now need approval, *${r.flips.toAuto}* would no longer.`),
    },
  ];
  if (flips.length) blocks.push({ type: 'section', text: mrkdwn(`*Runs that flip*\n${flips.join('\n')}${more > 0 ? `\n…and ${more} more (the API lists up to 200)` : ''}`) });
  if (weeks.length) blocks.push({ type: 'section', text: mrkdwn(`*Approver load per week* (then → draft)\n${weeks.join('\n')}`) });
  blocks.push({ type: 'context', elements: [mrkdwn(`Backtest \`${r.id}\` · ${r.tookMs} ms · no external call, nothing written${opts.saveNote ? ` · ${escapeMrkdwn(opts.saveNote)}` : ''}`)] });
  if (opts.saveValue) {
    blocks.push({ type: 'actions', block_id: 'backtest_actions', elements: [{ type: 'button', action_id: BACKTEST_SAVE, style: 'primary', text: plain(`Save as version ${opts.nextVersion}`, 75), value: opts.saveValue }] });
  }
  return blocks;
}
