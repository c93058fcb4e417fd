import { buildExceptionList } from '../../blocks/queues.ts';
import { UsageError, type Subcommand } from './types.ts';

export const exceptionsCommand: Subcommand = {
  name: 'exceptions',
  usage: 'exceptions',
  summary: 'open exceptions',
  role: 'viewer',
  async run({ ctx, args, now }) {
    if (args.length > 0) throw new UsageError('`exceptions` takes no arguments');
    const filter = { status: 'open' as const };
    const [rows, total] = await Promise.all([
      ctx.models.Exception.find(filter, { type: 1, severity: 1, title: 1, objectType: 1, objectId: 1, occurrences: 1, lastSeenAt: 1 }).sort({ lastSeenAt: -1 }).limit(15).lean(),
      ctx.models.Exception.countDocuments(filter),
    ]);
    return buildExceptionList(rows as never, total, now);
  },
};
