import type { Models } from '../src/db/models/index.ts';
import type { Facts, PolicyEvaluation, PolicySnapshot } from './policy-eval.ts';

/**
 * Stores on the run what its policy step saw (the facts) and decided, so a backtest can replay past
 * runs through a draft policy without calling anything. A re-run of the step overwrites it.
 */
export async function recordPolicyFacts(models: Pick<Models, 'Run'>, runId: string, policy: PolicySnapshot, facts: Facts, evaluation: PolicyEvaluation): Promise<void> {
  const policyCheck = { policy: policy.name, version: policy.version, facts, needsApproval: evaluation.needsApproval, matched: evaluation.matched, at: new Date() };
  await models.Run.updateOne({ _id: runId }, { $set: { policyCheck } });
}
