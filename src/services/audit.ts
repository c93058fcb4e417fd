import type { Models } from '../db/models/index.ts';
import { currentVia } from './audit-context.ts';

export interface AuditInput {
  actor: string;
  action: string;
  target?: string;
  outcome?: 'allowed' | 'refused' | 'done' | 'failed';
  reason?: string;
  details?: Record<string, unknown>;
  /** How the actor reached orch, e.g. `API token ci-bot`; defaults to the current request's. */
  via?: string;
}

/** Appends one entry; the model refuses updates and deletes, so history cannot be rewritten. */
export async function audit(models: Pick<Models, 'AuditEntry'>, entry: AuditInput): Promise<void> {
  const via = entry.via ?? currentVia(entry.actor);
  await models.AuditEntry.create({ ...entry, ...(via ? { via } : {}), at: new Date() });
}
