import { describe, expect, it } from 'vitest';
import { buildApprovalSheet, sheetText, type ApprovalSheetInput } from '../../blocks/approval-sheet.ts';
import { buildDetailsModal, buildRejectModal, parseRejectMeta, REJECT_MODAL } from '../../blocks/approval-modals.ts';
import { buildDiffBlocks, packLines, type DiffEntry } from '../../blocks/diff.ts';
import { SLACK_LIMITS } from '../../blocks/limits.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk Slack's loosely typed JSON
type AnyBlock = Record<string, any>;

function sheet(over: Partial<ApprovalSheetInput> = {}): ApprovalSheetInput {
  return {
    approvalId: 'apr_1',
    runId: 'run_1',
    workflowId: 'company-intake',
    title: 'Acme Bank',
    objectType: 'company',
    objectId: '101',
    trigger: 'company.creation',
    requestedAt: new Date('2026-01-02T03:04:05Z'),
    fields: [{ label: 'Domain', value: 'acme.com' }],
    diff: [{ field: 'Domain', kind: 'changed', old: 'old.com', new: 'acme.com' }],
    flags: [{ ruleId: 'regulated_industry', level: 'HIGH', message: 'Regulated industry (BANKING)' }],
    policy: { name: 'company-intake', version: 3, matched: ['regulated_industry'] },
    intendedWrites: [{ system: 'airtable', target: 'Accounts', op: 'upsert', key: 'HubSpot Id=101', fields: { Name: 'Acme' } }],
    mode: 'live',
    ...over,
  };
}

/** Every Slack limit the sheet must respect, checked on the JSON Slack would receive. */
function expectWithinLimits(blocks: AnyBlock[], maxBlocks: number): void {
  expect(blocks.length).toBeLessThanOrEqual(maxBlocks);
  for (const b of blocks) {
    if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (b.type === 'section') {
      if (b.text) expect(Array.from(b.text.text as string).length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      if (b.fields) {
        expect(b.fields.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
        for (const f of b.fields) expect(Array.from(f.text as string).length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
      }
    }
    if (b.type === 'context') {
      expect(b.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
      for (const e of b.elements) expect(Array.from(e.text as string).length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
    if (b.type === 'actions') for (const e of b.elements) expect(e.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
  }
}

describe('approval sheet', () => {
  it('when built, then it has the header, context, diff, flags, policy and the three buttons with stable ids', () => {
    const blocks = buildApprovalSheet(sheet()) as AnyBlock[];
    const json = JSON.stringify(blocks);
    expect(blocks[0]).toMatchObject({ type: 'header', text: { text: 'Approval needed: company-intake · Acme Bank' } });
    expect(json).toContain('Run `run_1`');
    expect(json).toContain('*Domain*: old.com → acme.com');
    expect(json).toContain(':red_circle: *HIGH* Regulated industry (BANKING)');
    expect(json).toContain('Policy *company-intake* v3 · matched: `regulated_industry`');
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions?.elements.map((e: AnyBlock) => e.action_id)).toEqual(['approval_approve', 'approval_reject', 'approval_details']);
    expect(actions?.elements[0].confirm.confirm.text).toBe('Approve');
    expect(actions?.elements.every((e: AnyBlock) => e.value === 'apr_1')).toBe(true);
  });

  it('when a company has 80 changed fields with 5,000-character values, then the sheet and the details modal stay within Slack limits', () => {
    const big = 'x'.repeat(5000);
    const diff: DiffEntry[] = Array.from({ length: 80 }, (_, i) => ({ field: `Field ${i} ${'n'.repeat(300)}`, kind: 'changed', old: big, new: `${big}y` }));
    const fields = Array.from({ length: 30 }, (_, i) => ({ label: `L${i}`.repeat(100), value: big }));
    const flags = Array.from({ length: 40 }, (_, i) => ({ ruleId: `r${i}`, level: 'HIGH' as const, message: big }));
    const input = sheet({ diff, fields, flags, title: big, trigger: big, intendedWrites: Array.from({ length: 30 }, () => ({ system: 'airtable' as const, target: big, op: 'upsert' as const, key: big })) });
    const blocks = buildApprovalSheet(input) as AnyBlock[];
    expectWithinLimits(blocks, SLACK_LIMITS.messageBlocks);
    expect(blocks.at(-1)?.type).toBe('actions');
    expect(JSON.stringify(blocks)).toContain('+65 more changes (see Details)');
    expect(sheetText(input).length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
    const decided = buildApprovalSheet(input, { decision: 'reject', actor: 'U1', at: new Date(), reason: big }) as AnyBlock[];
    expectWithinLimits(decided, SLACK_LIMITS.messageBlocks);
    const modal = buildDetailsModal(input, Array.from({ length: 200 }, (_, i) => ({ name: `step${i}`, status: 'failed', error: big })), 'FAILED');
    expectWithinLimits(modal.blocks as AnyBlock[], SLACK_LIMITS.viewBlocks);
    expect(modal.title.text.length).toBeLessThanOrEqual(SLACK_LIMITS.modalTitle);
  });

  it('when values hold emails and phone numbers, then the channel sheet masks them', () => {
    const input = sheet({
      title: 'Contact jane.doe@acme.com',
      fields: [{ label: 'Phone', value: '+1 415 555 4567' }],
      diff: [{ field: 'Owner email', kind: 'changed', old: 'bob@acme.com', new: 'ann@acme.com' }],
    });
    const json = JSON.stringify(buildApprovalSheet(input));
    expect(json).not.toMatch(/jane\.doe@|bob@|ann@|415 555/);
    expect(json).toContain('j***@acme.com');
    expect(json).toContain('+1 *** *** 4567');
  });

  it('when user data contains mrkdwn control characters, then they cannot form mentions or links', () => {
    const json = JSON.stringify(buildApprovalSheet(sheet({ diff: [{ field: '<!channel>', kind: 'added', new: '<https://evil|click>' }] })));
    expect(json).not.toContain('<!channel>');
    expect(json).toContain('&lt;!channel&gt;');
  });

  it('when decided, then the buttons are replaced by a banner with who and when', () => {
    const blocks = buildApprovalSheet(sheet(), { decision: 'approve', actor: 'UADMIN1', at: new Date('2026-01-02T10:00:00Z') }) as AnyBlock[];
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(blocks.at(-1)?.text.text).toContain(':white_check_mark: *Approved* by <@UADMIN1> at <!date^');
    expect(blocks.at(-1)?.text.text).toContain('|2026-01-02T10:00:00Z>');
  });

  it('when in dry-run, then the sheet says nothing will be written', () => {
    const json = JSON.stringify(buildApprovalSheet(sheet({ mode: 'dry-run' })));
    expect(json).toContain('Dry-run mode');
    expect(json).toContain('Intended writes* (dry-run: shown, not performed)');
  });
});

describe('diff blocks', () => {
  it('when there are no changes, then one line says so', () => {
    expect(JSON.stringify(buildDiffBlocks([]))).toContain('No changes against the mirror');
  });
  it('when lines are packed, then no chunk exceeds the limit and no line is lost', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i} ${'z'.repeat(200)}`);
    const chunks = packLines(lines, 3000);
    expect(chunks.every((c) => c.length <= 3000)).toBe(true);
    expect(chunks.join('\n').split('\n')).toHaveLength(50);
  });
});

describe('reject modal', () => {
  it('when built, then it has the callback id, a required reason input and round-trippable metadata', () => {
    const view = buildRejectModal({ approvalId: 'apr_9', channel: 'C1', ts: '1.2' }, 'Deal X');
    expect(view.callback_id).toBe(REJECT_MODAL.callbackId);
    const input = (view.blocks as AnyBlock[]).find((b) => b.type === 'input');
    expect(input).toMatchObject({ block_id: 'reject_reason_block', element: { action_id: 'reject_reason_input' } });
    expect(input?.optional).toBeUndefined();
    expect(parseRejectMeta(view.private_metadata)).toEqual({ approvalId: 'apr_9', channel: 'C1', ts: '1.2' });
    expect(parseRejectMeta('not json')).toBeNull();
  });
});
