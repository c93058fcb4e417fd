import { audit } from '../../src/services/audit.ts';
import { hasRole } from '../../src/services/rbac.ts';
import { parseUserMention } from './role.ts';
import { UsageError, type Subcommand } from './types.ts';

/** `until 2026-12-24` → the end of that day (UTC); null when absent, Error text when invalid or past. */
export function parseUntil(args: string[], now: Date): Date | null | string {
  if (args.length === 0) return null;
  if (args[0] !== 'until' || args.length !== 2 || !/^\d{4}-\d{2}-\d{2}$/.test(args[1] ?? '')) return 'write the date as `until 2026-12-24`';
  const end = new Date(`${args[1]}T23:59:59.999Z`);
  if (Number.isNaN(end.getTime())) return 'that is not a date';
  if (end.getTime() <= now.getTime()) return 'that date is in the past';
  return end;
}

/**
 * `/orch delegate @user [until 2026-12-24]` / `/orch delegate off` (approvers: admins and group
 * members): while away, approvals that would ask you ask your delegate, whose vote is recorded
 * "on behalf of" you.
 */
export const delegateCommand: Subcommand = {
  name: 'delegate',
  usage: 'delegate @user [until 2026-12-24] | delegate off',
  summary: 'let someone approve for you while you are away',
  role: 'viewer',
  async run({ ctx, args, userId, role, now }) {
    const inGroup = await ctx.models.ApproverGroup.exists({ members: userId });
    if (!hasRole(role, 'admin') && !inGroup) return { text: 'Only approvers (admins and members of an approver group) can delegate.' };
    if (args.length === 1 && args[0]?.toLowerCase() === 'off') {
      const gone = await ctx.models.Delegation.findOneAndDelete({ from: userId }).lean();
      if (gone) await audit(ctx.models, { actor: userId, action: 'delegation.off', target: userId, details: { to: gone.to } });
      return { text: gone ? `:white_check_mark: Delegation to <@${gone.to}> ended: approvals ask you again.` : 'You have no delegation.' };
    }
    const to = args[0] ? parseUserMention(args[0]) : null;
    const until = parseUntil(args.slice(1), now);
    if (!to || typeof until === 'string') throw new UsageError(typeof until === 'string' ? until : 'mention the person: `/orch delegate @jane until 2026-12-24`');
    if (to === userId) throw new UsageError('you cannot delegate to yourself');
    await ctx.models.Delegation.findOneAndUpdate({ from: userId }, { $set: { to, createdAt: now, ...(until ? { until } : {}) }, ...(until ? {} : { $unset: { until: 1 } }) }, { upsert: true });
    await audit(ctx.models, { actor: userId, action: 'delegation.set', target: userId, details: { to, until: until?.toISOString() ?? null } });
    return { text: `:white_check_mark: While you are away${until ? ` (until ${until.toISOString().slice(0, 10)})` : ''}, approvals that ask you ask <@${to}>; their votes are recorded on your behalf. \`/orch delegate off\` ends it.` };
  },
};
