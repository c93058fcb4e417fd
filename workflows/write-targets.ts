import type { IntendedWrite } from '../blocks/approval-sheet.ts';
import { WorkflowError } from './errors.ts';
import type { RunStateValue, WorkflowDeps } from './types.ts';

/** What each optional write target needs set, so the failure names the variables. */
const NEEDS: Partial<Record<IntendedWrite['system'], { name: string; vars: string; configured: (deps: WorkflowDeps) => boolean }>> = {
  airtable: { name: 'Airtable', vars: 'AIRTABLE_API_KEY and AIRTABLE_BASE_ID', configured: (d) => Boolean(d.integrations.airtable) },
  notion: { name: 'Notion', vars: 'NOTION_TOKEN', configured: (d) => Boolean(d.integrations.notion) },
};

/**
 * Called once the intended writes are known and before anyone is asked: in live mode, a write to
 * a service that is not configured fails the run now (configuration error, not retried), naming the
 * variables to set, instead of after a human approved it. Dry-run performs no write, so it passes.
 */
export function assertWritesConfigured(deps: WorkflowDeps, s: Pick<RunStateValue, 'mode'>, writes: readonly IntendedWrite[]): void {
  if (s.mode === 'dry-run') return;
  const missing = new Map<string, { vars: string; targets: Set<string> }>();
  for (const w of writes) {
    const need = NEEDS[w.system];
    if (!need || need.configured(deps)) continue;
    const entry = missing.get(need.name) ?? { vars: need.vars, targets: new Set<string>() };
    entry.targets.add(w.target);
    missing.set(need.name, entry);
  }
  if (missing.size === 0) return;
  const parts = [...missing].map(([name, m]) => `${name} is not configured: set ${m.vars} (this run writes ${[...m.targets].join(', ')})`);
  throw new WorkflowError('configuration', `${parts.join('; ')}. Nothing was asked and nothing was written; set the variables and retry the run, or use ORCH_MODE=dry-run.`);
}
