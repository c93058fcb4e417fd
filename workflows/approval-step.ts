import { interrupt } from '@langchain/langgraph';
import { buildApprovalSheet, sheetText } from '../blocks/approval-sheet.ts';
import type { ApprovalChoice } from '../blocks/approval-choice.ts';
import { createHash } from 'node:crypto';
import { sheetInputOf, type ApprovalLike } from '../src/services/approval-view.ts';
import { slackError } from './slack-errors.ts';
import type { ResumeDecision, RunStateValue, WorkflowDeps } from './types.ts';
import { ONE_ADMIN, requirementFor, type RuleWithApprovals } from './approval-requirement.ts';
import { approvalSubject } from './approval-subject.ts';
import { askedAt } from '../src/services/approvers.ts';

export interface ApprovalRequest {
  step: string;
  title: string;
  fields: { label: string; value: unknown }[];
  /** A choice made together with Approve (role picker, kickoff slot); the chosen value lands on the Approval as `chosen`. */
  choice?: ApprovalChoice;
}

function triggerOf(state: RunStateValue): string {
  const m = state.envelope?.meta;
  return m?.subscriptionTypes?.join(', ') || m?.source || 'webhook';
}

/** Deterministic per run step, so the sheet's buttons can carry it before the document exists. */
export function approvalIdFor(runId: string, step: string): string {
  return `apr_${createHash('sha256').update(`${runId}:${step}`).digest('hex').slice(0, 16)}`;
}

/**
 * Posts the sheet once, stores the Approval, then pauses the graph. This node re-runs from the
 * top on resume, so everything before interrupt() is idempotent: an existing Approval (unique on
 * runId+step) means the sheet is out already. The Approval is inserted once ($setOnInsert), with
 * the message location in it. A crash between the post and the insert re-posts the sheet on replay
 * (at worst a duplicate message, never a duplicate Approval).
 */
export async function requestApproval(deps: WorkflowDeps, state: RunStateValue, req: ApprovalRequest): Promise<ResumeDecision> {
  const { ctx } = deps;
  const { Approval } = ctx.models;
  const id = approvalIdFor(state.runId, req.step);
  // By _id, derived from run and step, so the sheet's buttons can name it before it is stored.
  let approval = (await Approval.findById(id).lean()) as unknown as StoredLike | null;
  if (!approval) {
    const now = new Date();
    // Who must approve, decided by the policy version in force (N-of-M, levels): stored with the snapshot.
    const requirement = requirementFor((state.policy?.rules ?? []) as RuleWithApprovals[], state.evaluation ?? { needsApproval: true, matched: [] }) ?? { ruleId: null, levels: [ONE_ADMIN] };
    const subject = await approvalSubject(deps, state);
    const doc = {
      _id: id,
      runId: state.runId,
      step: req.step,
      workflowId: state.workflowId,
      objectType: state.envelope.meta.objectType,
      objectId: state.envelope.meta.objectId,
      title: req.title,
      status: 'PENDING',
      fields: req.fields,
      ...(req.choice ? { choice: req.choice } : {}),
      diff: state.diff ?? [],
      riskFlags: state.evaluation?.flags ?? [],
      intendedWrites: state.intendedWrites ?? [],
      policy: state.policy ? { ...state.policy, matched: state.evaluation?.matched ?? [] } : null,
      trigger: triggerOf(state),
      mode: state.mode,
      requestedAt: now,
      expiresAt: new Date(now.getTime() + ctx.config.ORCH_APPROVAL_TTL),
      requirement,
      level: 0,
      levelVotes: 0,
      votes: [],
      levelApprovers: await askedAt(ctx.models, (requirement.levels[0] ?? ONE_ADMIN).from),
      ...(subject ? { subject } : {}),
    };
    const input = sheetInputOf(doc);
    let res;
    try {
      res = await ctx.slack.chat.postMessage({ channel: ctx.config.ORCH_APPROVALS_CHANNEL, text: sheetText(input), blocks: buildApprovalSheet(input), unfurl_links: false });
    } catch (err) {
      throw slackError(err, 'posting the approval sheet');
    }
    approval = (await Approval.findOneAndUpdate(
      { _id: id },
      { $setOnInsert: { ...doc, slack: { channel: res.channel, ts: res.ts } } },
      { upsert: true, returnDocument: 'after', lean: true },
    )) as unknown as StoredLike;
  }
  // Decided already (e.g. the decision landed and the process died before the resume): use it.
  if (approval.status !== 'PENDING' && approval.decision) {
    return { approvalId: approval._id, decision: approval.decision as ResumeDecision['decision'], actor: approval.decidedBy ?? 'unknown', ...(approval.reason ? { reason: approval.reason } : {}), at: (approval.decidedAt ?? new Date()).toISOString() };
  }
  return interrupt({ approvalId: approval._id, step: req.step }) as ResumeDecision;
}

type StoredLike = ApprovalLike & { slack?: { channel?: string; ts?: string }; status: string };
