import type { AppContext } from '../src/context.ts';
import { FORGET_AGAIN_JOB, scrubContact } from '../src/services/forget.ts';

/** pii:forget-again: the second pass of a forget (src/services/forget.ts), on whichever worker takes it. */
export function registerForgetJobs(ctx: AppContext): void {
  ctx.agenda.define(
    FORGET_AGAIN_JOB,
    async (job: { attrs: { data: { contactId: string; at: string; by: string; reason: string } } }) => {
      const d = job.attrs.data;
      const res = await scrubContact(ctx, d.contactId, { at: new Date(d.at), by: d.by, reason: d.reason });
      ctx.logger.info('contact forgotten again (second pass)', { contactId: d.contactId, events: res.events, runs: res.runs, approvals: res.approvals, mirror: res.mirror });
    },
    { concurrency: 2 },
  );
}
