import { buildStatus } from '../../blocks/status.ts';
import { getDashboard } from '../../src/services/dashboard.ts';
import { dependencyHealth } from '../../src/services/health.ts';
import { getMode } from '../../src/services/settings.ts';
import { VERSION } from '../../src/version.ts';
import { UsageError, type Subcommand } from './types.ts';

export const statusCommand: Subcommand = {
  name: 'status',
  usage: 'status',
  summary: 'dependencies, mode, version and queue depths',
  role: 'viewer',
  async run({ ctx, args }) {
    if (args.length > 0) throw new UsageError('`status` takes no arguments');
    const [health, mode, dash] = await Promise.all([dependencyHealth(ctx), getMode(ctx), getDashboard(ctx)]);
    return buildStatus({ health, mode, version: VERSION, queue: dash.queue, asOf: dash.computedAt });
  },
};
