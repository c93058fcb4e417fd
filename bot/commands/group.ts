import { GROUP_NAME } from '../../src/services/approvers.ts';
import { audit } from '../../src/services/audit.ts';
import { parseUserMention } from './role.ts';
import { UsageError, type Subcommand } from './types.ts';

/** `/orch group add|remove <name> @user`, `/orch group list [name]` (admins): approver groups for `"from": "group:<name>"`. */
export const groupCommand: Subcommand = {
  name: 'group',
  usage: 'group add|remove <name> @user | group list [name]',
  summary: 'approver groups for N-of-M rules',
  role: 'admin',
  async run({ ctx, args, userId }) {
    const [verb = '', rawName = '', mention = ''] = args;
    const name = rawName.toLowerCase();
    if (verb === 'list' && args.length <= 2) {
      const groups = await ctx.models.ApproverGroup.find(name ? { name } : {}).sort({ name: 1 }).limit(50).lean();
      if (groups.length === 0) return { text: name ? `No group \`${name}\`.` : 'No approver groups yet. Add one with `/orch group add finance @jane`.' };
      return { text: groups.map((g) => `• \`group:${g.name}\`: ${g.members.length ? g.members.map((m) => `<@${m}>`).join(', ') : '(empty)'}`).join('\n') };
    }
    const member = parseUserMention(mention);
    if (!['add', 'remove'].includes(verb) || args.length !== 3 || !GROUP_NAME.test(name) || !member) throw new UsageError('e.g. `/orch group add finance @jane`, `/orch group remove finance @jane`, `/orch group list`');
    const update = verb === 'add' ? { $addToSet: { members: member }, $set: { updatedBy: userId } } : { $pull: { members: member }, $set: { updatedBy: userId } };
    const g = await ctx.models.ApproverGroup.findOneAndUpdate({ name }, update, { upsert: verb === 'add', returnDocument: 'after', lean: true });
    if (!g) return { text: `No group \`${name}\`.` };
    await audit(ctx.models, { actor: userId, action: `group.${verb}`, target: `group:${name}`, details: { member } });
    return { text: `:white_check_mark: \`group:${name}\` now: ${g.members.length ? g.members.map((m) => `<@${m}>`).join(', ') : '(empty)'}` };
  },
};
