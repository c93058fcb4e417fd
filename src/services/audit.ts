import type { Models } from '../db/models/index.ts';

export interface AuditInput {
  actor: string;
  action: string;
  target?: string;
  outcome?: 'allowed' | 'refused' | 'done' | 'failed';
  reason?: string;
  details?: Record<string, unknown>;
}

/** Appends one entry; the model refuses updates and deletes, so history cannot be rewritten. */
export async function audit(models: Pick<Models, 'AuditEntry'>, entry: AuditInput): Promise<void> {
  await models.AuditEntry.create({ ...entry, at: new Date() });
}
