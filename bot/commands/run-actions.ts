import { cancelRun, retryRun } from '../../workflows/run-control.ts';
import { hasRole } from '../../src/services/rbac.ts';
import { UsageError, type Subcommand } from './types.ts';

function runIdArg(args: string[], verb: string): string {
  if (args.length !== 1 || !/^[\w-]{3,80}$/.test(args[0] as string)) throw new UsageError(`give one run id, e.g. \`/orch ${verb} run_8k2m9x4q7d1c\``);
  return args[0] as string;
}

export const retryCommand: Subcommand = {
  name: 'retry',
  usage: 'retry <runId>',
  summary: 'run a FAILED run again from its last checkpoint',
  role: 'operator',
  async run({ ctx, args, userId }) {
    const runId = runIdArg(args, 'retry');
    if (await retryRun(ctx, runId, userId)) return { text: `:repeat: Run \`${runId}\` is queued again; \`/orch run ${runId}\` to follow it.` };
    const run = await ctx.models.Run.findById(runId, { status: 1 }).lean();
    return { text: run ? `Run \`${runId}\` is ${run.status}: only FAILED runs can be retried.` : `No run \`${runId}\`.` };
  },
};

export const cancelCommand: Subcommand = {
  name: 'cancel',
  usage: 'cancel <runId>',
  summary: 'cancel a run that has not finished',
  role: 'admin',
  async run({ ctx, args, userId }) {
    const runId = runIdArg(args, 'cancel');
    const res = await cancelRun(ctx, runId, userId);
    if (res === 'cancelled') return { text: `:no_entry_sign: Run \`${runId}\` is cancelled; its pending approvals are closed.` };
    if (res === 'requested') return { text: `:hourglass: Run \`${runId}\` is running: it stops before its next step.` };
    const run = await ctx.models.Run.findById(runId, { status: 1 }).lean();
    return { text: run ? `Run \`${runId}\` is ${run.status}: nothing to cancel.` : `No run \`${runId}\`.` };
  },
};

export const replayCommand: Subcommand = {
  name: 'replay',
  usage: 'replay <eventId|runId> [--force]',
  summary: 'process stored webhook events again (exactly-once unless --force, admins only)',
  role: 'operator',
  async run({ ctx, hooks, args, userId, role }) {
    const force = args.includes('--force');
    const rest = args.filter((a) => a !== '--force');
    if (rest.length !== 1 || !/^[\w:.-]{3,120}$/.test(rest[0] as string)) throw new UsageError('give one event id or run id, e.g. `/orch replay run_8k2m9x4q7d1c`');
    const target = rest[0] as string;
    if (force && !hasRole(role, 'admin')) {
      await ctx.models.AuditEntry.create({ actor: userId, action: 'slack.orch.replay.force', target, outcome: 'refused', reason: `needs admin, has ${role}` });
      return { text: 'Only admins can force a replay. Without `--force` a replay never creates a second run.' };
    }
    if (!hooks.replay) return { text: 'Replay is not available on this instance.' };
    let eventIds = [target];
    if (target.startsWith('run_')) {
      const run = await ctx.models.Run.findById(target, { trigger: 1 }).lean();
      if (!run) return { text: `No run \`${target}\`.` };
      eventIds = run.trigger?.eventIds ?? [];
      if (eventIds.length === 0) return { text: `Run \`${target}\` has no stored events to replay.` };
    }
    try {
      const res = await hooks.replay(eventIds, { replayOf: target, actor: userId, force });
      return { text: `:arrows_counterclockwise: Replaying ${eventIds.length} event(s) of \`${target}\` as unit \`${res.replayUnitId}\`${force ? ' (forced)' : ''}.` };
    } catch (err) {
      // Ingest answers refusals as HttpError(4xx) with a readable message.
      const status = (err as { status?: number }).status;
      if (status && status < 500) return { text: `Cannot replay \`${target}\`: ${(err as Error).message}` };
      throw err;
    }
  },
};
