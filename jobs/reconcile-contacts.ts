import type { Job } from 'agenda';
import type { AppContext } from '../src/context.ts';
import { checkContact, compareAllContacts, type ContactFinding } from '../src/reconcile/contacts.ts';
import { closeStale, recordDetections, type Detected, type ExceptionView } from '../src/reconcile/exceptions.ts';
import { FINDING_TYPES } from '../src/reconcile/types.ts';
import { postExceptionCards } from '../src/reconcile/notify.ts';
import { AFTER_WRITE_DELAY_MS } from './reconcile.ts';

/**
 * reconcile:after-write-contact: a few minutes after contact-role-mapping wrote a Contacts row,
 * that row is compared with HubSpot again (Name, Email, Job Title, Role); what differs becomes an
 * exception with its card, like the Accounts check. One pending check per contact.
 */
export const RECONCILE_CONTACT_AFTER_WRITE = 'reconcile:after-write-contact';
/** reconcile:nightly-contacts: the whole Contacts table against HubSpot, on ORCH_RECONCILE_CRON (ORCH_TZ). */
export const RECONCILE_CONTACTS_NIGHTLY = 'reconcile:nightly-contacts';

type Ctx = Pick<AppContext, 'integrations' | 'models' | 'logger' | 'slack' | 'config' | 'lifecycle' | 'metrics'>;

const detected = (findings: ContactFinding[], check: string): Detected[] => findings.map((f) => ({ ...f, details: { check } }));

/**
 * One full pass over Contacts: findings become exceptions (same cards and fixes as Accounts'), and
 * open Contacts exceptions not seen again are closed as no longer reproducing.
 */
export async function reconcileContactsNow(ctx: Ctx): Promise<{ status: 'completed' | 'not_configured'; findings: number; opened: ExceptionView[]; closed: number }> {
  const { airtable, hubspot } = ctx.integrations;
  if (!airtable) return { status: 'not_configured', findings: 0, opened: [], closed: 0 };
  const startedAt = new Date();
  const { findings, rows, contacts } = await compareAllContacts({ hubspot, airtable, signal: ctx.lifecycle.signal });
  const { opened } = await recordDetections(ctx.models, detected(findings, 'nightly'));
  const closed = await closeStale(ctx.models, { types: FINDING_TYPES, before: startedAt, objectType: 'contact', note: 'no longer reproduces (Contacts reconciliation)' });
  await postExceptionCards(ctx, opened);
  ctx.logger.info('contacts reconciliation finished', { rows, contacts, findings: findings.length, opened: opened.length, closed });
  return { status: 'completed', findings: findings.length, opened, closed };
}

export function registerContactReconcileJobs(ctx: AppContext): void {
  ctx.agenda.define(
    RECONCILE_CONTACT_AFTER_WRITE,
    async (job: Job<{ contactId: string }>) => {
      const { airtable, hubspot } = ctx.integrations;
      if (!airtable) return;
      const { contactId } = job.attrs.data;
      const findings = await checkContact({ hubspot, airtable }, contactId);
      const { opened } = await recordDetections(ctx.models, detected(findings, 'after-write'));
      await postExceptionCards(ctx, opened);
      ctx.logger.info('contact after-write check finished', { contactId, findings: findings.map((f) => f.type) });
    },
    { concurrency: 1, lockLimit: 1, lockLifetime: 5 * 60_000 },
  );
  ctx.agenda.define(RECONCILE_CONTACTS_NIGHTLY, async () => void (await reconcileContactsNow(ctx)), { concurrency: 1, lockLimit: 1, lockLifetime: 60 * 60_000 });
}

/** The nightly schedule (worker instances only, like the Accounts pass). */
export async function scheduleContactsNightly(ctx: AppContext): Promise<void> {
  if (ctx.config.ORCH_ROLE === 'web') return;
  await ctx.agenda.every(ctx.config.ORCH_RECONCILE_CRON, RECONCILE_CONTACTS_NIGHTLY, {}, { timezone: ctx.config.ORCH_TZ, skipImmediate: true });
}

export async function scheduleContactAfterWrite(ctx: Pick<AppContext, 'agenda'>, contactId: string, delayMs = AFTER_WRITE_DELAY_MS): Promise<void> {
  await ctx.agenda.create(RECONCILE_CONTACT_AFTER_WRITE, { contactId }).unique({ 'data.contactId': contactId }).schedule(new Date(Date.now() + delayMs)).save();
}
