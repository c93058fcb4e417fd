import { buildRunDetail } from '../../blocks/run-detail.ts';
import type { AppContext } from '../../src/context.ts';
import { UsageError, type Subcommand, type Reply } from './types.ts';

/** The run detail reply, also used by the "View run" buttons of DM alerts. */
export async function runDetailReply(ctx: Pick<AppContext, 'models'>, runId: string): Promise<Reply> {
  const run = await ctx.models.Run.findById(runId).lean();
  if (!run) return { text: `No run \`${runId}\`. Try \`/orch runs\` to list recent ones.` };
  const [approvals, exceptions] = await Promise.all([
    ctx.models.Approval.find({ runId }, { status: 1, title: 1, decidedBy: 1, decidedAt: 1, reason: 1 }).lean(),
    ctx.models.Exception.find({ runId }, { type: 1, status: 1, title: 1 }).lean(),
  ]);
  const meta = (run.envelope as { meta?: { portalId?: number } } | undefined)?.meta;
  const links = meta?.portalId && run.objectType === 'company' ? [{ text: 'Open in HubSpot', url: `https://app.hubspot.com/contacts/${meta.portalId}/company/${run.objectId}` }] : [];
  return buildRunDetail({ run: run as never, approvals: approvals as never, exceptions: exceptions as never, links });
}

export const runCommand: Subcommand = {
  name: 'run',
  usage: 'run <runId>',
  summary: 'steps, timings, approvals and errors of one run',
  role: 'viewer',
  async run({ ctx, args }) {
    if (args.length !== 1 || !/^[\w-]{3,80}$/.test(args[0] as string)) throw new UsageError('give one run id, e.g. `/orch run run_8k2m9x4q7d1c`');
    return runDetailReply(ctx, args[0] as string);
  },
};
