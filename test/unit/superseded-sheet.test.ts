import { describe, expect, it } from 'vitest';
import { buildSupersededSheet, supersededText } from '../../blocks/superseded-sheet.ts';

describe('superseded approval sheet', () => {
  const at = new Date('2026-12-01T10:00:00Z');
  it('when a sheet is superseded, then it has no buttons, says so with a link to the new sheet, and escapes the title', () => {
    const blocks = buildSupersededSheet({ workflowId: 'procurement-approval', title: 'Deal <!channel> & co', link: 'https://x.slack.com/archives/C1/p123', kind: 'superseded', at });
    const json = JSON.stringify(blocks);
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(json).toContain('Superseded by a newer change:* <https://x.slack.com/archives/C1/p123|the new sheet>');
    expect(supersededText({ workflowId: 'w', title: 'Deal <!channel> & co', kind: 'superseded', at })).toContain('Deal &lt;!channel&gt; &amp; co');
  });

  it('when the record changed after approval, then the sheet says nothing was written and what changed', () => {
    const blocks = buildSupersededSheet({ workflowId: 'w', title: 'T', why: 'amount: 15000 → 500000', kind: 'asked_again', at });
    const json = JSON.stringify(blocks);
    expect(json).toContain('Nothing was written');
    expect(json).toContain('What changed: amount: 15000 → 500000');
  });
});
