import { buildForgetModal } from '../../blocks/forget-modal.ts';
import { UsageError, type Subcommand } from './types.ts';

/** `/orch forget contact <id>` (admin): opens the confirmation modal; the submission forgets (bot/views/forget-submit.ts). */
export const forgetCommand: Subcommand = {
  name: 'forget',
  usage: 'forget contact <id>',
  summary: "remove a contact's personal data from orch (asks for confirmation and a reason)",
  role: 'admin',
  async run({ ctx, args, channelId, triggerId }) {
    const [kind, id] = args;
    if (kind?.toLowerCase() !== 'contact' || !id || !/^\d{1,20}$/.test(id) || args.length !== 2) throw new UsageError('`/orch forget contact <HubSpot contact id>`, e.g. `/orch forget contact 501`');
    if (!triggerId) return { text: 'This Slack request has no trigger_id, so the confirmation cannot open.' };
    await ctx.slack.views.open({ trigger_id: triggerId, view: buildForgetModal({ contactId: id, ...(channelId ? { channelId } : {}) }) as never });
    return { text: `Confirm forgetting contact ${id} in the form (a reason is required).` };
  },
};
