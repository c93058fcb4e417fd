import { describe, expect, it } from 'vitest';
import { buildChoiceBlocks, CHOICE_ACTIONS, CHOICE_BLOCK_ID, chosenFromState, type ApprovalChoice } from '../../blocks/approval-choice.ts';
import { buildApprovalSheet, type ApprovalSheetInput } from '../../blocks/approval-sheet.ts';

const role: ApprovalChoice = {
  id: 'role',
  label: 'Role',
  kind: 'static_select',
  initial: 'finance',
  options: ['finance', 'legal', 'other'].map((v) => ({ value: v, text: v.toUpperCase() })),
};
const slot: ApprovalChoice = {
  id: 'slot',
  label: 'Kickoff slot',
  kind: 'radio_buttons',
  initial: '2026-06-03T08:00:00Z',
  options: ['2026-06-03T08:00:00Z', '2026-06-03T12:00:00Z', '2026-06-04T08:00:00Z'].map((v, i) => ({ value: v, text: `Slot ${i + 1}`, description: 'jane@acme.com' })),
};
type El = { type: string; action_id: string; options: { value: string }[]; initial_option?: { value: string; description?: { text: string } } };
const elementOf = (blocks: unknown[]) => ((blocks as { type: string; block_id?: string; elements?: El[] }[]).find((b) => b.block_id === CHOICE_BLOCK_ID)?.elements ?? [])[0] as El;

const sheet: ApprovalSheetInput = {
  approvalId: 'apr_1', runId: 'run_1', workflowId: 'contact-role-mapping', title: 'Jane Doe', objectType: 'contact', objectId: '1',
  trigger: 'contact.creation', requestedAt: '2026-06-02T08:00:00Z', fields: [], diff: [], flags: [], policy: { name: 'contact-role-mapping', version: 1, matched: [] },
  intendedWrites: [], mode: 'live', choice: role,
};

describe('approval choice blocks', () => {
  it('when a sheet offers a role, then a static_select with the inferred role preselected sits right above the buttons', () => {
    const blocks = buildApprovalSheet(sheet) as { type: string; block_id?: string }[];
    const el = elementOf(blocks);
    expect(el.type).toBe('static_select');
    expect(el.action_id).toBe(CHOICE_ACTIONS.static_select);
    expect(el.options.map((o) => o.value)).toEqual(['finance', 'legal', 'other']);
    expect(el.initial_option?.value).toBe('finance');
    expect(blocks.at(-2)?.block_id).toBe(CHOICE_BLOCK_ID);
    expect(blocks.at(-1)?.block_id).toBe('approval_actions');
  });

  it('when a sheet offers slots, then radio_buttons preselect the first slot and descriptions are masked', () => {
    const el = elementOf(buildChoiceBlocks(slot));
    expect(el.type).toBe('radio_buttons');
    expect(el.initial_option?.value).toBe('2026-06-03T08:00:00Z');
    expect(el.initial_option?.description?.text).toContain('j***@acme.com');
  });

  it('when the sheet is decided, then the picker is replaced by the chosen value (and nothing on reject)', () => {
    const approved = JSON.stringify(buildApprovalSheet({ ...sheet, chosen: 'legal' }, { decision: 'approve', actor: 'U1', at: '2026-06-02T09:00:00Z' }));
    expect(approved).not.toContain(CHOICE_BLOCK_ID);
    expect(approved).toContain('*Role:* LEGAL');
    expect(buildChoiceBlocks(role, { decision: 'reject', chosen: null })).toEqual([]);
  });

  it('when the click carries state.values, then only an offered value counts; otherwise the preselected one', () => {
    const state = (v: string) => ({ values: { [CHOICE_BLOCK_ID]: { [CHOICE_ACTIONS.static_select]: { type: 'static_select', selected_option: { value: v } } } } });
    expect(chosenFromState(state('legal'), role)).toBe('legal');
    expect(chosenFromState(state('wizard'), role)).toBe('finance');
    expect(chosenFromState(undefined, role)).toBe('finance');
    expect(chosenFromState(state('legal'), undefined)).toBeUndefined();
  });

  it('when option texts, descriptions or the label carry Slack markup, then none of it survives as markup', () => {
    const H = '&amp; <!channel> <@U123> <https://x|y> jane@acme.com';
    const hostile: ApprovalChoice = { id: 'slot', label: H, kind: 'radio_buttons', initial: 'a', options: [{ value: 'a', text: H, description: H }] };
    for (const out of [buildChoiceBlocks(hostile), buildChoiceBlocks({ ...hostile, kind: 'static_select' }), buildChoiceBlocks(hostile, { decision: 'approve', chosen: 'a' })]) {
      // Slack reads markup only in mrkdwn objects (plain_text shows it literally); PII is masked in both.
      const json = JSON.stringify(out);
      const found = json.match(/\{"type":"mrkdwn","text":"(?:[^"\\]|\\.)*"\}/g) ?? [];
      expect(found.length).toBeGreaterThan(0);
      const mrkdwnTexts = found.join('\n');
      for (const m of ['<!channel>', '<@U123>', '<https://x|y>']) expect(mrkdwnTexts).not.toContain(m);
      expect(json).not.toContain('jane@acme.com');
      expect(json).not.toMatch(/&amp;(lt|gt);/);
    }
  });
});
