import { ROLES, type Role } from '../../src/db/models/user.ts';
import { setRole } from '../../src/services/rbac.ts';
import { UsageError, type Subcommand } from './types.ts';

/** `<@U123|jane>`, `<@U123>` or a bare `U123` → `U123`. */
export function parseUserMention(text: string): string | null {
  const m = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(text) ?? /^([UW][A-Z0-9]{2,})$/.exec(text);
  return m ? (m[1] as string) : null;
}

export const roleCommand: Subcommand = {
  name: 'role',
  usage: 'role @user admin|operator|viewer',
  summary: "set someone's role",
  role: 'admin',
  async run({ ctx, args, userId }) {
    const target = args[0] ? parseUserMention(args[0]) : null;
    const role = args[1]?.toLowerCase() as Role | undefined;
    if (args.length !== 2 || !target || !role || !ROLES.includes(role)) throw new UsageError('mention one user and a role: `/orch role @jane operator`');
    const current = await ctx.models.User.findOne({ slackUserId: target }, { role: 1 }).lean();
    if (current?.role === 'admin' && role !== 'admin' && (await ctx.models.User.countDocuments({ role: 'admin' })) <= 1) {
      return { text: `<@${target}> is the last admin; make someone else admin first.` };
    }
    await setRole(ctx.models, userId, target, role);
    ctx.events.emit('home.changed');
    return { text: `:white_check_mark: <@${target}> is now *${role}*${current ? ` (was ${current.role})` : ''}.` };
  },
};
