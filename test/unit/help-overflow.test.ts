import { describe, expect, it } from 'vitest';
import { buildHelp, type HelpEntry } from '../../blocks/help.ts';

describe('/orch help with many subcommands', () => {
  it('when the list is longer than one section holds, then it continues in further sections and no subcommand is cut', () => {
    const entries: HelpEntry[] = Array.from({ length: 30 }, (_, i) => ({ name: `cmd${i}`, usage: `cmd${i} <arg> [--flag value] ${'x'.repeat(60)}`, summary: 'does a thing '.repeat(5), role: 'viewer' }));
    const { blocks } = buildHelp(entries);
    const sections = blocks.filter((b) => b.type === 'section') as { text: { text: string } }[];
    expect(sections.length).toBeGreaterThan(1);
    for (const s of sections) expect(s.text.text.length).toBeLessThanOrEqual(3000);
    const text = sections.map((s) => s.text.text).join('\n');
    for (const e of entries) expect(text).toContain(`/orch ${e.name} `);
    expect(text).not.toContain('…');
  });
});
