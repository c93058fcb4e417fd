import { describe, expect, it } from 'vitest';
import { capBlocks, capList, escapeMrkdwn, moreBlock, mrkdwn, plain, SLACK_LIMITS, truncate } from '../../blocks/limits.ts';

describe('truncate', () => {
  it('when the text fits, then it is returned unchanged', () => {
    expect(truncate('hello', 5)).toBe('hello');
  });
  it('when the text is too long, then it is cut to max characters ending with an ellipsis', () => {
    const out = truncate('a'.repeat(5000), SLACK_LIMITS.sectionText);
    expect(Array.from(out)).toHaveLength(3000);
    expect(out.endsWith('…')).toBe(true);
  });
  it('when the cut falls inside an emoji, then no surrogate pair is split', () => {
    const out = truncate('😀😀😀😀', 3);
    expect(out).toBe('😀😀…');
  });
  it('when text is null or max is 0, then an empty string comes back', () => {
    expect(truncate(null, 10)).toBe('');
    expect(truncate('abc', 0)).toBe('');
  });
});

describe('capBlocks', () => {
  it('when there are more blocks than allowed, then the last slot says how many were left out', () => {
    const blocks = Array.from({ length: 80 }, (_, i) => ({ type: 'section', i }));
    const out = capBlocks<object>(blocks, 50, (n) => moreBlock(n));
    expect(out).toHaveLength(50);
    expect(JSON.stringify(out[49])).toContain('+31 more blocks');
  });
  it('when within the limit, then blocks are untouched', () => {
    const blocks = [{ a: 1 }];
    expect(capBlocks(blocks, 50)).toBe(blocks);
  });
  it('when no overflow builder is given, then the list is simply cut', () => {
    expect(capBlocks([1, 2, 3], 2)).toEqual([1, 2]);
  });
});

describe('helpers', () => {
  it('when capping a list, then the omitted count is reported', () => {
    expect(capList([1, 2, 3, 4], 3)).toEqual({ items: [1, 2, 3], omitted: 1 });
  });
  it('when user data contains <, > or &, then they are escaped for mrkdwn', () => {
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });
  it('when building text objects, then they are clamped and never empty', () => {
    expect(plain('x'.repeat(200), SLACK_LIMITS.headerText).text).toHaveLength(150);
    expect(mrkdwn('').text).toBe(' ');
  });
});
