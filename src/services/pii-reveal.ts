import type { AppContext } from '../context.ts';
import { cardPiiEntries, sheetPiiEntries, type PiiEntry, type RevealTarget } from '../../blocks/reveal.ts';
import { sheetInputOf, type ApprovalLike } from './approval-view.ts';
import { getException } from '../reconcile/exceptions.ts';
import { hidesPii } from '../../blocks/pii.ts';
import { audit } from './audit.ts';

export interface RevealSubject {
  objectType: string;
  objectId: string;
  entries: PiiEntry[];
}

/** What an approval sheet or exception card hides, read from what is stored (null: no such object). */
export async function hiddenValues(ctx: Pick<AppContext, 'models'>, t: RevealTarget): Promise<RevealSubject | null> {
  if (t.kind === 'approval') {
    const a = await ctx.models.Approval.findById(t.id).lean();
    if (!a) return null;
    const s = sheetInputOf(a as unknown as ApprovalLike);
    const reason = hidesPii(a.reason) ? [{ label: 'Decision reason', value: a.reason }] : [];
    return { objectType: s.objectType, objectId: s.objectId, entries: [...sheetPiiEntries(s), ...reason] };
  }
  const e = await getException(ctx.models, t.id);
  if (!e) return null;
  return { objectType: e.objectType, objectId: e.objectId, entries: cardPiiEntries(e) };
}

/** `pii.reveal`: who saw which fields of what, and why (invariant 8). Appended before anything is shown. */
export async function auditReveal(ctx: Pick<AppContext, 'models'>, actor: string, t: RevealTarget, s: RevealSubject, reason: string): Promise<void> {
  await audit(ctx.models, {
    actor,
    action: 'pii.reveal',
    target: `${t.kind}:${t.id}`,
    outcome: 'allowed',
    reason,
    details: { kind: t.kind, id: t.id, objectType: s.objectType, objectId: s.objectId, fields: s.entries.map((e) => e.label) },
  });
}
