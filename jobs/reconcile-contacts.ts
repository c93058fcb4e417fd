import type { Job } from 'agenda';
import type { AppContext } from '../src/context.ts';
import { checkContact } from '../src/reconcile/contacts.ts';
import { recordDetections } from '../src/reconcile/exceptions.ts';
import { postExceptionCards } from '../src/reconcile/notify.ts';
import { AFTER_WRITE_DELAY_MS } from './reconcile.ts';

/**
 * reconcile:after-write-contact: a few minutes after contact-role-mapping wrote a Contacts row,
 * that row is compared with HubSpot again (Name, Email, Job Title, Role); what differs becomes an
 * exception with its card, like the Accounts check. One pending check per contact.
 */
export const RECONCILE_CONTACT_AFTER_WRITE = 'reconcile:after-write-contact';

export function registerContactReconcileJobs(ctx: AppContext): void {
  ctx.agenda.define(
    RECONCILE_CONTACT_AFTER_WRITE,
    async (job: Job<{ contactId: string }>) => {
      const { airtable, hubspot } = ctx.integrations;
      if (!airtable) return;
      const { contactId } = job.attrs.data;
      const findings = await checkContact({ hubspot, airtable }, contactId);
      const { opened } = await recordDetections(ctx.models, findings.map((f) => ({ ...f, details: { check: 'after-write' } })) as never);
      await postExceptionCards(ctx, opened);
      ctx.logger.info('contact after-write check finished', { contactId, findings: findings.map((f) => f.type) });
    },
    { concurrency: 1, lockLimit: 1, lockLifetime: 5 * 60_000 },
  );
}

export async function scheduleContactAfterWrite(ctx: Pick<AppContext, 'agenda'>, contactId: string, delayMs = AFTER_WRITE_DELAY_MS): Promise<void> {
  await ctx.agenda.create(RECONCILE_CONTACT_AFTER_WRITE, { contactId }).unique({ 'data.contactId': contactId }).schedule(new Date(Date.now() + delayMs)).save();
}
