import { describe, expect, it } from 'vitest';
import { buildExceptionCard, buildExceptionList, buildIgnoreModal, EXCEPTION_ACTIONS, type ExceptionCardInput } from '../../blocks/exception-card.ts';
import { buildReconcileSummary, formatDuration, summaryText } from '../../blocks/reconcile-summary.ts';

const exc = (over: Partial<ExceptionCardInput> = {}): ExceptionCardInput => ({
  _id: 'exc_1',
  type: 'field_drift',
  severity: 'medium',
  status: 'open',
  objectType: 'company',
  objectId: '42',
  title: 'Acme (42): Industry differ in the mirror',
  diff: [{ field: 'Industry', hubspot: 'RETAIL', mirror: 'SOFTWARE' }],
  proposedFix: { kind: 'update_mirror_fields', summary: "Set Industry in the mirror to HubSpot's values", writes: [{ op: 'update' }] },
  occurrences: 2,
  firstSeenAt: new Date('2026-11-20T02:00:00Z'),
  lastSeenAt: new Date('2026-11-21T02:00:00Z'),
  ...over,
});

const json = (x: unknown) => JSON.stringify(x);
type AnyBlock = { type: string; block_id?: string; elements?: { action_id?: string; value?: string; confirm?: unknown; text?: { text: string } }[] };

describe('exception card', () => {
  it('when an exception is open, then the card shows the diff, the fix and the four actions with the exception id as value', () => {
    const blocks = buildExceptionCard(exc()) as AnyBlock[];
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions?.block_id).toBe('exc_actions:exc_1');
    expect(actions?.elements?.map((e) => e.action_id)).toEqual([EXCEPTION_ACTIONS.preview, EXCEPTION_ACTIONS.apply, EXCEPTION_ACTIONS.ignore, EXCEPTION_ACTIONS.assign]);
    expect(actions?.elements?.every((e) => e.value === 'exc_1')).toBe(true);
    expect(actions?.elements?.find((e) => e.action_id === 'exception_apply')?.confirm).toBeTruthy();
    expect(json(blocks)).toContain('HubSpot: `RETAIL`');
    expect(json(blocks)).toContain('Mirror: `SOFTWARE`');
    expect(json(blocks)).toContain('Proposed fix:');
  });

  it('when the exception is resolved, then the card has no buttons but says who fixed it', () => {
    const blocks = buildExceptionCard(exc({ status: 'resolved', resolvedBy: 'UADMIN1', resolution: 'fixed' })) as AnyBlock[];
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(json(blocks)).toContain('*resolved* by <@UADMIN1>');
  });

  it('when the fix is manual, then there is no Apply button', () => {
    const blocks = buildExceptionCard(exc({ type: 'duplicate_mirror', proposedFix: { kind: 'manual', summary: 'by hand', writes: [] } })) as AnyBlock[];
    expect(blocks.find((b) => b.type === 'actions')?.elements?.map((e) => e.action_id)).not.toContain('exception_apply');
  });

  it('when it is a dead-lettered run, then Apply reads "Retry run"', () => {
    const blocks = buildExceptionCard(exc({ type: 'integration_error', diff: [], proposedFix: { kind: 'retry_run', summary: 'Retry', writes: [] } })) as AnyBlock[];
    const apply = blocks.find((b) => b.type === 'actions')?.elements?.find((e) => e.action_id === 'exception_apply');
    expect(apply?.text?.text).toBe('Retry run');
  });

  it('when values hold emails, then the channel card masks them', () => {
    const blocks = buildExceptionCard(exc({ diff: [{ field: 'Owner', hubspot: 'jane.doe@acme.com', mirror: null }] }));
    expect(json(blocks)).toContain('j***@acme.com');
    expect(json(blocks)).not.toContain('jane.doe@');
  });

  it('when more than 10 fields differ, then the section keeps 10 fields and says how many more', () => {
    const diff = Array.from({ length: 14 }, (_, i) => ({ field: `F${i}`, hubspot: i, mirror: null }));
    const blocks = buildExceptionCard(exc({ diff })) as (AnyBlock & { fields?: unknown[] })[];
    expect(blocks.find((b) => b.block_id === 'exc_diff:exc_1')?.fields).toHaveLength(10);
    expect(json(blocks)).toContain('+4 more fields differ');
  });

  it('when many exceptions are new, then one list message stays within 50 blocks and counts the rest', () => {
    const items = Array.from({ length: 120 }, (_, i) => exc({ _id: `exc_${i}` }));
    const blocks = buildExceptionList(items);
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(json(blocks)).toContain('120 new exceptions');
    expect(json(blocks)).toContain('+100 more');
  });

  it('when the ignore modal is built, then the reason input is required and metadata carries the exception', () => {
    const view = buildIgnoreModal({ exceptionId: 'exc_1', channel: 'C1', ts: '1.2' });
    expect(view.callback_id).toBe('exception_ignore_modal');
    expect(JSON.parse(view.private_metadata)).toEqual({ exceptionId: 'exc_1', channel: 'C1', ts: '1.2' });
    const input = view.blocks.find((b) => b.type === 'input') as { block_id: string; optional?: boolean; element: { action_id: string } };
    expect(input.block_id).toBe('ignore_reason_block');
    expect(input.element.action_id).toBe('ignore_reason_input');
    expect(input.optional).toBeUndefined();
  });
});

describe('reconciliation summary', () => {
  const report = {
    _id: 'rec_1',
    trigger: 'nightly',
    status: 'completed',
    durationMs: 12_345,
    objectsCompared: { hubspot: 10000, mirror: 10010 },
    findingsByType: { missing_in_mirror: 3, orphan_in_mirror: 1, field_drift: 196, duplicate_mirror: 0 },
    exceptions: { opened: 5, updated: 195, closed: 2 },
    fixes: { applied: 0, failed: 0 },
    apiCalls: { hubspot: 101, airtable: 101 },
    errors: [],
  };

  it('when a run completes, then the summary shows counts by type, duration and API calls', () => {
    const text = json(buildReconcileSummary(report));
    expect(text).toContain('Field drift: *196*');
    expect(text).toContain('Missing in mirror: *3*');
    expect(text).toContain('12.3 s');
    expect(text).toContain('HubSpot 101 · Airtable 101');
    expect(summaryText(report)).toBe('Reconciliation completed: 200 findings, 5 new, 2 closed in 12.3 s');
  });

  it('when a run failed, then its errors are listed', () => {
    const text = json(buildReconcileSummary({ ...report, status: 'failed', errors: ['airtable: 503'] }));
    expect(text).toContain('Reconciliation failed');
    expect(text).toContain('airtable: 503');
  });

  it('when durations vary, then they read naturally', () => {
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
  });
});
