import { interrupt } from '@langchain/langgraph';
import { buildApprovalSheet, sheetText } from '../blocks/approval-sheet.ts';
import type { ApprovalChoice } from '../blocks/approval-choice.ts';
import { createHash } from 'node:crypto';
import { sheetInputOf, type ApprovalLike } from '../src/services/approval-view.ts';
import { lastModified } from '../src/ingest/enrich.ts';
import { newerApprovalExists, supersedeOlder } from '../src/services/supersede.ts';
import { confirmStillAsSeen } from './approval-recheck.ts';
import { RunCancelledError } from './errors.ts';
import { newPostClaim, postSheetOnce } from './sheet-post.ts';
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
 * Stores the Approval, posts its sheet once, then pauses the graph. This node re-runs from the top
 * on resume, so everything before interrupt() is idempotent: the Approval is inserted once
 * ($setOnInsert, by an id derived from run and step), and the post is claimed on it and found again
 * by its metadata if an earlier attempt's answer was lost (sheet-post.ts): one approval, one message.
 * A newer version of the object supersedes older pending sheets (src/services/supersede.ts); a run
 * whose object already has a newer sheet is itself superseded. After Approve, the record is re-read
 * and must still be what the approver saw (approval-recheck.ts).
 */
export async function requestApproval(deps: WorkflowDeps, state: RunStateValue, req: ApprovalRequest): Promise<ResumeDecision> {
  const { ctx } = deps;
  const { Approval } = ctx.models;
  const id = approvalIdFor(state.runId, req.step);
  const objectVersion = versionOf(state);
  const { objectType, objectId } = state.envelope.meta;
  // Who must approve, decided by the policy version in force (N-of-M, levels): stored with the snapshot.
  const requirement = requirementFor((state.policy?.rules ?? []) as RuleWithApprovals[], state.evaluation ?? { needsApproval: true, matched: [] }) ?? { ruleId: null, levels: [ONE_ADMIN] };
  // By _id, derived from run and step, so the sheet's buttons can name it before it is stored. What a
  // new Approval needs is read at the same time (wasted only when this node re-runs on resume).
  const [stored, newerRead, approversRead] = await Promise.allSettled([
    Approval.findById(id).lean(),
    newerApprovalExists(ctx, { runId: state.runId, workflowId: state.workflowId, objectType, objectId, objectVersion }),
    askedAt(ctx.models, (requirement.levels[0] ?? ONE_ADMIN).from),
  ]);
  // The other two reads fail the step only when a new Approval needs them.
  const settled = <T>(r: PromiseSettledResult<T>): T => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  };
  let approval = settled(stored) as unknown as StoredLike | null;
  // The sheet's post is claimed in the same write that creates the Approval (sheet-post.ts).
  let postClaim: string | undefined;
  if (!approval) {
    if (settled(newerRead)) throw new RunCancelledError('superseded: a newer change to this record already has its own approval sheet');
    const now = new Date();
    const subject = await approvalSubject(deps, state);
    const claim = newPostClaim(now);
    const asked = state.envelope.meta.askedAgain;
    const fields = asked ? [{ label: 'Asked again', value: `the record changed after an earlier sheet was approved, so nothing was written: ${asked.why}` }, ...req.fields] : req.fields;
    const doc = {
      _id: id,
      runId: state.runId,
      step: req.step,
      workflowId: state.workflowId,
      objectType,
      objectId,
      title: req.title,
      status: 'PENDING',
      fields,
      ...(req.choice ? { choice: req.choice } : {}),
      diff: state.diff ?? [],
      riskFlags: state.evaluation?.flags ?? [],
      intendedWrites: state.intendedWrites ?? [],
      policy: state.policy ? { ...state.policy, matched: state.evaluation?.matched ?? [] } : null,
      trigger: triggerOf(state),
      mode: state.mode,
      requestedAt: now,
      expiresAt: new Date(now.getTime() + ctx.config.ORCH_APPROVAL_TTL),
      ...(objectVersion === null ? {} : { objectVersion }),
      requirement,
      level: 0,
      levelVotes: 0,
      votes: [],
      levelApprovers: settled(approversRead),
      ...(subject ? { subject } : {}),
      slack: claim.slack,
    };
    approval = (await Approval.findOneAndUpdate({ _id: id }, { $setOnInsert: doc }, { upsert: true, returnDocument: 'after', lean: true })) as unknown as StoredLike;
    // Inserted here (not by a concurrent attempt): this attempt holds the post.
    if ((approval.slack as { postingBy?: string } | null)?.postingBy === claim.token) postClaim = claim.token;
  }
  if (approval.status === 'PENDING' && !approval.slack?.ts) {
    const input = sheetInputOf(approval);
    const where = await postSheetOnce(ctx, id, { text: sheetText(input), blocks: buildApprovalSheet(input) }, postClaim);
    ctx.logger.info('approval sheet posted', { runId: state.runId, correlationId: state.envelope.meta.correlationId, approvalId: id, workflowId: state.workflowId, channel: where.channel, ts: where.ts });
    approval = { ...approval, slack: where };
    await supersedeOlder(ctx, { approvalId: id, runId: state.runId, workflowId: state.workflowId, objectType, objectId, objectVersion, slack: where });
  }
  const decision = await decisionFor(ctx, approval, req.step);
  await confirmStillAsSeen(deps, state, approval, decision);
  return decision;
}

/** The stored decision if there is one, else the graph pauses until the decision is fed back. */
async function decisionFor(ctx: WorkflowDeps['ctx'], approval: StoredLike, step: string): Promise<ResumeDecision> {
  for (;;) {
    // Decided already (e.g. the decision landed and the process died before the resume): use it.
    if (approval.status === 'SUPERSEDED') throw new RunCancelledError('superseded');
    if (approval.status !== 'PENDING' && approval.decision) {
      return { approvalId: approval._id, decision: approval.decision as ResumeDecision['decision'], actor: approval.decidedBy ?? 'unknown', ...(approval.reason ? { reason: approval.reason } : {}), at: (approval.decidedAt ?? new Date()).toISOString() };
    }
    const resumed = interrupt({ approvalId: approval._id, step }) as ResumeDecision;
    if (resumed?.approvalId === approval._id) return resumed;
    // A resume value meant for an earlier approval of this node (asked again): read ours from the store.
    const current = (await ctx.models.Approval.findById(approval._id).lean()) as unknown as StoredLike | null;
    if (!current) throw new Error(`approval ${approval._id} vanished`);
    approval = current;
  }
}

/** The object's hs_lastmodifieddate (ms) the run works from, or null when unknown. */
function versionOf(state: RunStateValue): number | null {
  const props = (state.raw ?? state.envelope.payload?.properties ?? {}) as Record<string, string | null | undefined>;
  const raw = lastModified(state.envelope.meta.objectType, props);
  const ms = raw === null || raw === undefined ? NaN : /^\d+$/.test(String(raw)) ? Number(raw) : Date.parse(String(raw));
  return Number.isFinite(ms) ? ms : null;
}

type StoredLike = ApprovalLike & { slack?: { channel?: string; ts?: string } | null; status: string };
