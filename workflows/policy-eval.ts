/**
 * Pure policy evaluation: rules are data (workflows/policies.json, then versions in MongoDB),
 * so thresholds change without code. Facts are what a workflow computed (employees, revenue,
 * changedFields...).
 */
export type RuleOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'in' | 'changed';
export type RiskLevel = 'LOW' | 'MEDIUM' | 'HIGH';

export interface PolicyRule {
  id: string;
  description?: string;
  when: { field: string; op: RuleOp; value: unknown };
  level?: RiskLevel;
  requiresApproval?: boolean;
}

export interface PolicySnapshot {
  name: string;
  version: number;
  description?: string;
  rules: PolicyRule[];
  thresholds: Record<string, unknown>;
  validFrom?: string;
}

export interface RiskFlag {
  ruleId: string;
  level: RiskLevel;
  message: string;
}

export interface PolicyEvaluation {
  needsApproval: boolean;
  flags: RiskFlag[];
  /** Ids of the rules that matched (shown on the sheet as "the rule that matched"). */
  matched: string[];
}

export type Facts = Record<string, unknown>;

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function norm(v: unknown): string {
  return String(v ?? '').trim().toLowerCase();
}

export function ruleMatches(rule: PolicyRule, facts: Facts): boolean {
  const { field, op, value } = rule.when;
  const actual = facts[field];
  switch (op) {
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const a = num(actual);
      const b = num(value);
      if (a === null || b === null) return false;
      return op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b;
    }
    case 'eq':
      return actual !== undefined && actual !== null && norm(actual) === norm(value);
    case 'in':
      return Array.isArray(value) && actual !== undefined && actual !== null && value.some((v) => norm(v) === norm(actual));
    case 'changed': {
      const changed = Array.isArray(actual) ? actual.map(norm) : [];
      return Array.isArray(value) && value.some((v) => changed.includes(norm(v)));
    }
    default:
      return false;
  }
}

function describe(rule: PolicyRule, facts: Facts): string {
  const base = rule.description ?? rule.id;
  const actual = facts[rule.when.field];
  if (rule.when.op === 'changed' && Array.isArray(actual)) {
    const hit = (rule.when.value as unknown[]).map(norm).filter((f) => actual.map(norm).includes(f));
    return `${base}: ${hit.join(', ')}`;
  }
  return actual === undefined || actual === null ? base : `${base} (${String(actual)})`;
}

/** Every matching rule becomes a flag; any matching rule with requiresApproval sends the run to a human. */
export function evaluatePolicy(policy: Pick<PolicySnapshot, 'rules'>, facts: Facts): PolicyEvaluation {
  const flags: RiskFlag[] = [];
  let needsApproval = false;
  for (const rule of policy.rules ?? []) {
    if (!ruleMatches(rule, facts)) continue;
    flags.push({ ruleId: rule.id, level: rule.level ?? 'MEDIUM', message: describe(rule, facts) });
    if (rule.requiresApproval !== false) needsApproval = true;
  }
  return { needsApproval, flags, matched: flags.map((f) => f.ruleId) };
}
