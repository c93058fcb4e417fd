import { describe, expect, it } from 'vitest';
import { buildBacktestModal, buildBacktestResult, type BacktestMeta } from '../../blocks/backtest.ts';
import { decodeSave, encodeSave } from '../../bot/actions/backtest-save.ts';
import { draftFromSubmission } from '../../bot/views/backtest-submit.ts';
import { parseBacktestArgs } from '../../bot/commands/backtest.ts';
import { isoWeek, type BacktestResult } from '../../src/services/backtest.ts';
import { requirementFor } from '../../workflows/approval-requirement.ts';
import type { PolicySnapshot } from '../../workflows/policy-eval.ts';

const policy: PolicySnapshot = {
  name: 'procurement-approval',
  version: 3,
  thresholds: { amount: 10000 },
  rules: [
    { id: 'amount_threshold', when: { field: 'amount', op: 'gte', value: 10000 }, level: 'HIGH', requiresApproval: true },
    { id: 'approval_stage', when: { field: 'dealstage', op: 'in', value: ['contractsent', 'procurement'] }, requiresApproval: true },
    { id: 'big', when: { field: 'amount', op: 'gte', value: 100000 }, approvals: { required: 2, from: 'admins' } } as PolicySnapshot['rules'][number],
  ],
};

type Values = Parameters<typeof draftFromSubmission>[0];
const valuesOf = (view: ReturnType<typeof buildBacktestModal>, over: Record<string, string> = {}): Values => {
  const out: Record<string, Record<string, { type: string; value: string }>> = {};
  for (const b of view.blocks as { block_id?: string; element?: { initial_value?: string } }[]) {
    if (b.block_id && b.element) out[b.block_id] = { value: { type: 'plain_text_input', value: over[b.block_id] ?? b.element.initial_value ?? '' } };
  }
  return out as unknown as Values;
};

describe('backtest modal and parsing', () => {
  it('when the modal is built, then every rule value, the approvals count and numeric thresholds are fields, within Slack limits', () => {
    const view = buildBacktestModal(policy, 30, 'C1');
    const ids = (view.blocks as { block_id?: string }[]).map((b) => b.block_id).filter(Boolean);
    expect(ids).toEqual(['bt_days', 'bt_rule:amount_threshold', 'bt_rule:approval_stage', 'bt_rule:big', 'bt_votes:big', 'bt_thr:amount', 'bt_json']);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(view.private_metadata!.length).toBeLessThanOrEqual(3000);
    expect((view as { title?: { text: string } }).title?.text.length).toBeLessThanOrEqual(24);
  });

  it('when only fields change, then they apply to the current rules; when the JSON changes too, it is the base', () => {
    const view = buildBacktestModal(policy, 30);
    const meta = JSON.parse(view.private_metadata!) as BacktestMeta;
    const fieldsOnly = draftFromSubmission(valuesOf(view, { 'bt_rule:amount_threshold': '25000', 'bt_votes:big': '3', bt_days: '14' }), meta, policy);
    expect(fieldsOnly.ok && fieldsOnly.days).toBe(14);
    expect(fieldsOnly.ok && fieldsOnly.draft.rules.map((r) => r.when.value)).toEqual([25000, ['contractsent', 'procurement'], 100000]);
    expect(fieldsOnly.ok && (fieldsOnly.draft.rules[2] as { approvals?: unknown }).approvals).toEqual({ required: 3, from: 'admins' });
    const json = JSON.stringify({ rules: [policy.rules[0]], thresholds: {} });
    const withJson = draftFromSubmission(valuesOf(view, { bt_json: json, 'bt_rule:approval_stage': 'x' }), meta, policy);
    expect(withJson.ok && withJson.draft.rules.map((r) => r.id)).toEqual(['amount_threshold']);
  });

  it('when a value is unusable, then the modal gets an error on that field, never a throw', () => {
    const view = buildBacktestModal(policy, 30);
    const meta = JSON.parse(view.private_metadata!) as BacktestMeta;
    expect(draftFromSubmission(valuesOf(view, { 'bt_rule:amount_threshold': 'lots' }), meta, policy)).toEqual({ ok: false, errors: { 'bt_rule:amount_threshold': 'Expected a number.' } });
    expect(draftFromSubmission(valuesOf(view, { bt_json: '{nope' }), meta, policy)).toMatchObject({ ok: false, errors: { bt_json: expect.stringMatching(/Not valid JSON/) } });
    expect(draftFromSubmission(valuesOf(view, { bt_days: '0' }), meta, policy)).toMatchObject({ ok: false, errors: { bt_days: expect.any(String) } });
  });

  it('when the draft is encoded in the Save button, then it decodes to the same draft; garbage decodes to null', () => {
    const draft = { name: 'procurement-approval', rules: policy.rules, thresholds: {} } as never;
    const value = encodeSave('bt_0123456789ab', draft) as string;
    expect(value.length).toBeLessThanOrEqual(2000);
    expect(decodeSave(value)).toMatchObject({ id: 'bt_0123456789ab', draft: { name: 'procurement-approval' } });
    expect(decodeSave('not base64 deflate')).toBeNull();
  });

  it('when arguments are given, then policy and --days parse; bad ones get a usage error', () => {
    expect(parseBacktestArgs(['procurement-approval'])).toEqual({ policy: 'procurement-approval', days: 30 });
    expect(parseBacktestArgs(['p', '--days', '7'])).toEqual({ policy: 'p', days: 7 });
    expect(() => parseBacktestArgs(['p', '--days', 'x'])).toThrow(/--days/);
    expect(() => parseBacktestArgs([])).toThrow(/name the policy/);
  });
});

describe('backtest figures', () => {
  it('when several rules match, then the strictest requirement decides (votes), and ISO weeks are Monday-based', () => {
    expect(requirementFor(policy.rules, { needsApproval: true, matched: ['amount_threshold', 'big'] })).toEqual({ ruleId: 'big', levels: [{ required: 2, from: 'admins' }] });
    expect(requirementFor(policy.rules, { needsApproval: false, matched: [] })).toBeNull();
    expect(isoWeek(new Date('2026-11-30T10:00:00Z'))).toBe('2026-W49');
    expect(isoWeek(new Date('2026-11-29T23:00:00Z'))).toBe('2026-W48');
  });

  it('when the result is built, then the counts read plainly and the Save button only comes with a value', () => {
    const r: BacktestResult = { id: 'bt_0123456789ab', policy: 'p', days: 30, from: '', to: '', runs: 6, didNeedApproval: 4, wouldNeedApproval: 4, votesNeeded: 5, byRule: {}, tookMs: 3, loadPerWeek: [{ week: '2026-W48', runs: 6, did: 4, wouldNeed: 4, votesNeeded: 5 }], flips: { toApproval: 1, toAuto: 0, omitted: 0, runs: [{ runId: 'run_1', objectId: '<@U1>', startedAt: '2026-11-20T00:00:00Z', direction: 'to_approval', rule: 'r' }] } };
    const withSave = JSON.stringify(buildBacktestResult(r, { nextVersion: 4, saveValue: 'abc' }));
    expect(withSave).toContain('Save as version 4');
    expect(withSave).toContain('&lt;@U1&gt;');
    expect(JSON.stringify(buildBacktestResult(r, { nextVersion: 4 }))).not.toContain('backtest_save');
  });
});
