import microdiff from 'microdiff';
import type { DiffEntry } from '../blocks/diff.ts';

/**
 * Field-level diff between the mirror (before) and what orch would write (after). Nested values
 * are reported under their dotted path. Unset on both sides (null/'' vs missing) is not a change.
 */
export function computeDiff(before: Record<string, unknown>, after: Record<string, unknown>): DiffEntry[] {
  const clean = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined && v !== ''));
  return microdiff(clean(before), clean(after)).map((d) => {
    const field = d.path.join('.');
    if (d.type === 'CREATE') return { field, kind: 'added' as const, new: d.value };
    if (d.type === 'REMOVE') return { field, kind: 'removed' as const, old: d.oldValue };
    return { field, kind: 'changed' as const, old: d.oldValue, new: d.value };
  });
}
