import type { AppContext } from '../src/context.ts';
import { seedPolicies } from '../src/services/policies.ts';
import type { WorkflowEngine } from './engine.ts';

/**
 * Seeds policies (first start only) and, on worker roles, runs the workflow engine as a
 * lifecycle component: shutdown stops claiming and lets running steps finish or checkpoint.
 */
export async function setupWorkflows(ctx: AppContext): Promise<WorkflowEngine | null> {
  await seedPolicies(ctx.models, ctx.logger);
  if (ctx.config.ORCH_ROLE === 'web') return null;
  // Loaded only where workflows run: LangGraph alone adds about 100 MB to a process, which a
  // web instance (webhooks, Slack, API) does not need.
  const { WorkflowEngine } = await import('./engine.ts');
  const engine = new WorkflowEngine(ctx, ctx.integrations, {
    leaseMs: ctx.config.ORCH_RUN_LEASE,
    pollMs: ctx.config.ORCH_RUNS_POLL,
    concurrency: ctx.config.ORCH_RUN_CONCURRENCY,
    retries: ctx.config.ORCH_STEP_RETRIES,
    checkpoints: ctx.config.ORCH_CHECKPOINTS,
  });
  ctx.lifecycle.add({ name: 'workflow-engine', start: () => engine.start(), stop: () => engine.stop() });
  return engine;
}
