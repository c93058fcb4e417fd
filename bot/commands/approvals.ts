import { buildApprovalList } from '../../blocks/queues.ts';
import { hasRole } from '../../src/services/rbac.ts';
import { UsageError, type Subcommand } from './types.ts';

export const approvalsCommand: Subcommand = {
  name: 'approvals',
  usage: 'approvals',
  summary: 'pending approvals with Approve/Reject buttons',
  role: 'viewer',
  async run({ ctx, args, role, now }) {
    if (args.length > 0) throw new UsageError('`approvals` takes no arguments');
    const filter = { status: 'PENDING' as const };
    const [rows, total] = await Promise.all([
      ctx.models.Approval.find(filter, { runId: 1, title: 1, workflowId: 1, objectType: 1, objectId: 1, requestedAt: 1, expiresAt: 1 }).sort({ requestedAt: 1 }).limit(10).lean(),
      ctx.models.Approval.countDocuments(filter),
    ]);
    return buildApprovalList(rows as never, total, { canDecide: hasRole(role, 'admin'), now });
  },
};
