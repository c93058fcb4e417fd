import type { AppContext } from '../context.ts';
import { addPolicyVersion, type PolicyInput } from './policies.ts';
import type { PolicySnapshot } from '../../workflows/policy-eval.ts';

/**
 * The one way a new policy version is created by a person: `POST /api/policies` and the
 * backtest's **Save as version N+1** button. `backtestId` (bt_…) lands in the audit entry.
 */
export function savePolicyVersion(ctx: Pick<AppContext, 'models' | 'integrations'>, input: PolicyInput, actor: string, backtestId?: string): Promise<PolicySnapshot> {
  return addPolicyVersion(ctx.models, input, actor, ctx.integrations.lineage, backtestId ? { backtestId } : {});
}

/** A `backtestId` sent with a policy body, when it looks like one. */
export function backtestIdOf(body: unknown): string | undefined {
  const v = (body as { backtestId?: unknown } | null | undefined)?.backtestId;
  return typeof v === 'string' && /^bt_[0-9a-f]{12}$/.test(v) ? v : undefined;
}
