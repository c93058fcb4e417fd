import { interrupt } from '@langchain/langgraph';
import { buildApprovalSheet, sheetText } from '../blocks/approval-sheet.ts';
import { newId } from '../src/ids.ts';
import { sheetInputOf, type ApprovalLike } from '../src/services/approval-view.ts';
import { slackError } from './slack-errors.ts';
import type { ResumeDecision, RunStateValue, WorkflowDeps } from './types.ts';

export interface ApprovalRequest {
  step: string;
  title: string;
  fields: { label: string; value: unknown }[];
}

function triggerOf(state: RunStateValue): string {
  const m = state.envelope?.meta;
  return m?.subscriptionTypes?.join(', ') || m?.source || 'webhook';
}

/**
 * Opens (or finds) the Approval for this run step, posts the sheet once, then pauses the graph.
 * This node re-runs from the top on resume, so everything before interrupt() is idempotent:
 * the Approval is unique on runId+step and the sheet is posted only while no ts is stored.
 */
export async function requestApproval(deps: WorkflowDeps, state: RunStateValue, req: ApprovalRequest): Promise<ResumeDecision> {
  const { ctx } = deps;
  const { Approval } = ctx.models;
  const now = new Date();
  const approval = (await Approval.findOneAndUpdate(
    { runId: state.runId, step: req.step },
    {
      $setOnInsert: {
        _id: newId('apr'),
        runId: state.runId,
        step: req.step,
        workflowId: state.workflowId,
        objectType: state.envelope.meta.objectType,
        objectId: state.envelope.meta.objectId,
        title: req.title,
        status: 'PENDING',
        fields: req.fields,
        diff: state.diff ?? [],
        riskFlags: state.evaluation?.flags ?? [],
        intendedWrites: state.intendedWrites ?? [],
        policy: state.policy ? { ...state.policy, matched: state.evaluation?.matched ?? [] } : null,
        trigger: triggerOf(state),
        mode: state.mode,
        requestedAt: now,
        expiresAt: new Date(now.getTime() + ctx.config.ORCH_APPROVAL_TTL),
      },
    },
    { upsert: true, returnDocument: 'after', lean: true },
  )) as unknown as ApprovalLike & { slack?: { channel?: string; ts?: string }; status: string };

  // Decided already (e.g. the decision landed and the process died before the resume): use it.
  if (approval.status !== 'PENDING' && approval.decision) {
    return { approvalId: approval._id, decision: approval.decision as ResumeDecision['decision'], actor: approval.decidedBy ?? 'unknown', ...(approval.reason ? { reason: approval.reason } : {}), at: (approval.decidedAt ?? now).toISOString() };
  }
  if (!approval.slack?.ts) {
    const input = sheetInputOf(approval);
    let res;
    try {
      res = await ctx.slack.chat.postMessage({ channel: ctx.config.ORCH_APPROVALS_CHANNEL, text: sheetText(input), blocks: buildApprovalSheet(input), unfurl_links: false });
    } catch (err) {
      throw slackError(err, 'posting the approval sheet');
    }
    await Approval.updateOne({ _id: approval._id, 'slack.ts': { $exists: false } }, { $set: { slack: { channel: res.channel, ts: res.ts } } });
  }
  return interrupt({ approvalId: approval._id, step: req.step }) as ResumeDecision;
}
