import type { ApprovalSheetInput, DecisionInfo } from '../../blocks/approval-sheet.ts';
import type { DiffEntry } from '../../blocks/diff.ts';
import type { ApprovalChoice } from '../../blocks/approval-choice.ts';
import type { ApprovalProgress } from '../../blocks/approval-progress.ts';

/** The subset of an Approval document the sheet needs (lean docs and plain objects both fit). */
export interface ApprovalLike {
  _id: string;
  runId: string;
  workflowId: string;
  objectType: string;
  objectId: string;
  title?: string | null;
  fields?: unknown;
  diff?: unknown;
  riskFlags?: unknown;
  intendedWrites?: unknown;
  policy?: unknown;
  trigger?: string | null;
  mode?: string | null;
  requestedAt?: Date | null;
  status?: string;
  decision?: string | null;
  decidedBy?: string | null;
  decidedAt?: Date | null;
  reason?: string | null;
  /** Role picker / slot choice offered with Approve, and the option chosen (blocks/approval-choice.ts). */
  choice?: unknown;
  chosen?: string | null;
  /** N-of-M (issue 13). */
  requirement?: unknown;
  level?: number | null;
  votes?: unknown;
  levelApprovers?: string[] | null;
}

/** Rebuilds the sheet input from what was stored, so any instance can redraw the message. */
export function sheetInputOf(a: ApprovalLike): ApprovalSheetInput {
  const policy = (a.policy ?? {}) as { name?: string; version?: number; matched?: string[] };
  return {
    approvalId: a._id,
    runId: a.runId,
    workflowId: a.workflowId,
    title: a.title ?? `${a.objectType} ${a.objectId}`,
    objectType: a.objectType,
    objectId: a.objectId,
    trigger: a.trigger ?? 'webhook',
    requestedAt: a.requestedAt ?? new Date(),
    fields: Array.isArray(a.fields) ? (a.fields as ApprovalSheetInput['fields']) : [],
    diff: Array.isArray(a.diff) ? (a.diff as DiffEntry[]) : [],
    flags: Array.isArray(a.riskFlags) ? (a.riskFlags as ApprovalSheetInput['flags']) : [],
    policy: { name: policy.name ?? 'unknown', version: policy.version ?? 0, matched: policy.matched ?? [] },
    intendedWrites: Array.isArray(a.intendedWrites) ? (a.intendedWrites as ApprovalSheetInput['intendedWrites']) : [],
    mode: a.mode === 'live' ? 'live' : 'dry-run',
    ...(a.choice && typeof a.choice === 'object' ? { choice: a.choice as ApprovalChoice } : {}),
    ...(a.chosen ? { chosen: a.chosen } : {}),
    ...(progressOf(a) ? { progress: progressOf(a) as ApprovalProgress } : {}),
  };
}

function progressOf(a: ApprovalLike): ApprovalProgress | undefined {
  const req = a.requirement as { levels?: ApprovalProgress['levels'] } | undefined;
  if (!req?.levels?.length) return undefined;
  return { levels: req.levels, level: a.level ?? 0, votes: Array.isArray(a.votes) ? (a.votes as ApprovalProgress['votes']) : [], levelApprovers: a.levelApprovers ?? [], done: (a.status ?? 'PENDING') !== 'PENDING' };
}

export function decisionOf(a: ApprovalLike): DecisionInfo | undefined {
  if (!a.decision || !a.decidedAt) return undefined;
  return { decision: a.decision as DecisionInfo['decision'], actor: a.decidedBy ?? 'unknown', at: a.decidedAt, ...(a.reason ? { reason: a.reason } : {}) };
}
