import type { PolicyEvaluation, PolicyRule } from './policy-eval.ts';

/**
 * Who must approve, and how many (issue 13): a rule may ask for N approvals from the admins, a list
 * of Slack user ids or a group (`group:<name>`), optionally in levels decided in order. A rule
 * without `approvals`/`levels` asks one admin, as before. Pure: the backtest and the approval step
 * both read requirements from here.
 */
export type ApproverSource = 'admins' | string[] | `group:${string}`;

export interface ApprovalLevel {
  required: number;
  from: ApproverSource;
}

export interface ApprovalRequirement {
  /** The matching rule whose requirement applies (the strictest one). */
  ruleId: string | null;
  levels: ApprovalLevel[];
}

export type RuleWithApprovals = PolicyRule & { approvals?: ApprovalLevel; levels?: ApprovalLevel[] };

export const ONE_ADMIN: ApprovalLevel = { required: 1, from: 'admins' };

export function levelsOf(rule: RuleWithApprovals): ApprovalLevel[] {
  if (rule.levels && rule.levels.length > 0) return rule.levels;
  if (rule.approvals) return [rule.approvals];
  return [ONE_ADMIN];
}

export function votesOf(levels: readonly ApprovalLevel[]): number {
  return levels.reduce((n, l) => n + l.required, 0);
}

/**
 * The requirement for an evaluation: among the matching rules that require approval, the one asking
 * for the most votes (ties: the first in the policy). Null when no approval is needed.
 */
export function requirementFor(rules: readonly RuleWithApprovals[], evaluation: Pick<PolicyEvaluation, 'needsApproval' | 'matched'>): ApprovalRequirement | null {
  if (!evaluation.needsApproval) return null;
  let best: ApprovalRequirement | null = null;
  for (const rule of rules) {
    if (!evaluation.matched.includes(rule.id) || rule.requiresApproval === false) continue;
    const levels = levelsOf(rule);
    if (!best || votesOf(levels) > votesOf(best.levels)) best = { ruleId: rule.id, levels };
  }
  return best ?? { ruleId: null, levels: [ONE_ADMIN] };
}

export function describeSource(from: ApproverSource): string {
  if (from === 'admins') return 'admins';
  if (Array.isArray(from)) return from.map((u) => `<@${u}>`).join(', ');
  return from;
}
