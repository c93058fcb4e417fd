import { describe, expect, it } from 'vitest';
import { buildApprovalSheet, type ApprovalSheetInput } from '../../blocks/approval-sheet.ts';
import { buildExceptionCard, type ExceptionCardInput } from '../../blocks/exception-card.ts';
import { buildRevealedModal, buildRevealReasonModal, cardPiiEntries, parseRevealMeta, parseRevealTarget, REVEAL_ACTION, sheetPiiEntries } from '../../blocks/reveal.ts';
import { buildRunDetail } from '../../blocks/run-detail.ts';

const sheet = (over: Partial<ApprovalSheetInput> = {}): ApprovalSheetInput => ({
  approvalId: 'apr_1', runId: 'run_1', workflowId: 'company-intake', title: 'Acme', objectType: 'company', objectId: '1', trigger: 't', requestedAt: new Date(0),
  fields: [{ label: 'Domain', value: 'acme.com' }], diff: [], flags: [], policy: { name: 'p', version: 1, matched: [] }, intendedWrites: [], mode: 'dry-run', ...over,
});
const card = (over: Partial<ExceptionCardInput> = {}): ExceptionCardInput => ({
  _id: 'exc_1', type: 'field_drift', severity: 'medium', status: 'open', objectType: 'contact', objectId: '9', title: 'Drift', diff: [], occurrences: 1, firstSeenAt: new Date(0), lastSeenAt: new Date(0), ...over,
});
const revealButtons = (blocks: unknown) => JSON.stringify(blocks).split(`"action_id":"${REVEAL_ACTION}"`).length - 1;

describe('Reveal button', () => {
  it('when a sheet hides nothing, then it has no Reveal; when a field is PII, then it has one', () => {
    expect(revealButtons(buildApprovalSheet(sheet()))).toBe(0);
    const s = sheet({ fields: [{ label: 'Email', value: 'jane@acme.com' }], diff: [{ field: 'phone', kind: 'changed', old: '1', new: '4155554567' }] });
    expect(revealButtons(buildApprovalSheet(s))).toBe(1);
    expect(sheetPiiEntries(s).map((e) => e.label)).toEqual(['Email', 'phone (before)', 'phone']);
  });

  it('when an exception card masks a diff value, then it offers Reveal with its id', () => {
    expect(revealButtons(buildExceptionCard(card()))).toBe(0);
    const c = card({ diff: [{ field: 'email', hubspot: 'jane@acme.com', mirror: null }] });
    expect(JSON.stringify(buildExceptionCard(c))).toContain('"value":"exception:exc_1"');
    expect(cardPiiEntries(c)).toEqual([{ label: 'email (HubSpot)', value: 'jane@acme.com' }]);
  });

  it('when /orch run lists approvals with masked titles, then each gets its own Reveal block', () => {
    const run = { _id: 'run_1', workflowId: 'w', status: 'COMPLETED', startedAt: new Date(0) };
    const out = buildRunDetail({ run, approvals: [{ _id: 'a1', status: 'APPROVED', title: 'call 4155554567' }, { _id: 'a2', status: 'APPROVED', title: 'Acme' }], exceptions: [] });
    expect(out.blocks.filter((b) => b.type === 'actions').map((b) => b.block_id)).toEqual(['run_reveal_0']);
    expect(revealButtons(out.blocks)).toBe(1);
  });

  it('when the reason modal is built, then the reason is required and the target travels in private_metadata', () => {
    const m = buildRevealReasonModal({ kind: 'approval', id: 'apr_1' }, ['Email']);
    expect(JSON.stringify(m.blocks)).toContain('"min_length":3');
    expect(parseRevealMeta(m.private_metadata)).toEqual({ kind: 'approval', id: 'apr_1' });
    expect(parseRevealMeta('{"kind":"run","id":"x"}')).toBeNull();
    expect(parseRevealTarget('nonsense')).toBeNull();
  });

  it('when values are revealed, then they are shown raw but still cannot form Slack markup', () => {
    const m = buildRevealedModal({ kind: 'approval', id: 'apr_1' }, [{ label: 'Email', value: 'jane@acme.com <!channel>' }]);
    const json = JSON.stringify(m.blocks);
    expect(json).toContain('jane@acme.com &lt;!channel&gt;');
    expect(json).toContain('shown to you only');
  });
});
