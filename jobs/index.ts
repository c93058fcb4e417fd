import type { AppContext } from '../src/context.ts';
import { registerApprovalJobs } from './approvals.ts';
import { registerReconcileJobs } from './reconcile.ts';
import { registerContactReconcileJobs, scheduleContactsNightly } from './reconcile-contacts.ts';
import { registerRetentionJobs } from './retention.ts';
import { registerForgetJobs } from './forget.ts';

/** Defines every Agenda job on ctx.agenda; each job module adds its define/every calls here. */
export async function registerJobs(ctx: AppContext): Promise<void> {
  await registerApprovalJobs(ctx);
  await registerReconcileJobs(ctx);
  registerContactReconcileJobs(ctx);
  await scheduleContactsNightly(ctx);
  await registerRetentionJobs(ctx);
  registerForgetJobs(ctx);
}
