import { buildRunList } from '../../blocks/run-list.ts';
import { RUN_STATUSES } from '../../src/db/models/run.ts';
import { parseDuration } from '../../src/config.ts';
import { encodeCursor, listRuns, type RunQuery } from '../../src/services/run-list.ts';
import { UsageError, type Subcommand } from './types.ts';

const STATUS_ALIASES: Record<string, string> = { waiting: 'WAITING_APPROVAL', done: 'COMPLETED', failed: 'FAILED', canceled: 'CANCELLED' };

/** `[status] [workflow] [--since 24h]` in any order; the status is recognised by name. */
export function parseRunsArgs(args: string[], now: Date): RunQuery & { sinceText?: string } {
  const q: RunQuery & { sinceText?: string } = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--since') {
      const v = args[++i];
      if (!v || !/^\d+(m|h|d)$/.test(v)) throw new UsageError('`--since` takes a duration like 30m, 24h or 7d');
      q.sinceAt = now.getTime() - parseDuration(v);
      q.sinceText = v;
      continue;
    }
    if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    const status = STATUS_ALIASES[a.toLowerCase()] ?? a.toUpperCase();
    if (!q.status && (RUN_STATUSES as readonly string[]).includes(status)) q.status = status;
    else if (!q.workflow && /^[a-z0-9][a-z0-9-]{1,60}$/.test(a)) q.workflow = a;
    else throw new UsageError(`unexpected \`${a}\``);
  }
  return q;
}

export const runsCommand: Subcommand = {
  name: 'runs',
  usage: 'runs [status] [workflow] [--since 24h]',
  summary: 'recent runs, newest first',
  role: 'viewer',
  async run({ ctx, args, now }) {
    const q = parseRunsArgs(args, now);
    const page = await listRuns(ctx, q, null);
    const filters = { ...(q.status ? { status: q.status } : {}), ...(q.workflow ? { workflow: q.workflow } : {}), ...(q.sinceText ? { sinceText: q.sinceText } : {}) };
    return buildRunList({ runs: page.runs, filters, next: page.next ? encodeCursor(page.next) : null, now, page: 1 });
  },
};
