/**
 * AI may raise risk, never lower it (issue 12 item 7). The rule-based risk is computed from the
 * data alone and is the floor; the model's answer (which sees attacker-controlled text such as a
 * company name) can only add flags or raise the level. Every flag says where it came from.
 */
import type { PolicyEvaluation, RiskFlag, RiskLevel } from './policy-eval.ts';

export type RiskSource = 'rules' | 'ai';
export type SourcedFlag = RiskFlag & { source: RiskSource };

const RANK: Record<RiskLevel, number> = { LOW: 0, MEDIUM: 1, HIGH: 2 };
export const maxLevel = (...levels: (RiskLevel | null | undefined)[]): RiskLevel =>
  levels.reduce<RiskLevel>((a, b) => (b && RANK[b] > RANK[a] ? b : a), 'LOW');

/** Text that talks to the model instead of describing a company (prompt injection). */
const INSTRUCTION_LIKE =
  /\b(ignore|disregard|forget|override)\b[^.]{0,60}\b(instruction|previous|above|prompt|rule|system)s?\b|\brisk\s*level\b|\briskLevel\b|\b(system|developer)\s+(prompt|message)\b|\byou\s+are\s+(now\s+)?(an?\s+)?(ai|assistant|model|chatgpt)\b|\b(rate|classify|mark)\b[^.]{0,40}\b(as\s+)?(low|safe)\s+risk\b/i;

export interface RiskInput {
  /** Free text the model is shown (name, domain, description). */
  texts: (string | null | undefined)[];
  employees: number | null;
  revenue: number | null;
  /** What the policy's rules flagged without the model. */
  ruleFlags: RiskFlag[];
}

export interface RiskAssessment {
  level: RiskLevel;
  ruleLevel: RiskLevel;
  aiLevel: RiskLevel | null;
  /** 'ai' when the model raised the level above the rules' floor. */
  levelSource: RiskSource;
  /** Flags from the rules' own look at the data (not from the policy, which reports its own). */
  ruleExtras: SourcedFlag[];
}

/** The floor: size (as the deterministic enrichment does) and text that reads like instructions to the AI. */
export function ruleRisk(input: Omit<RiskInput, 'ruleFlags'> & { ruleFlags?: RiskFlag[] }): { level: RiskLevel; extras: SourcedFlag[] } {
  const extras: SourcedFlag[] = [];
  const big = (input.employees ?? 0) > 1000 || (input.revenue ?? 0) > 10_000_000;
  const suspicious = input.texts.some((t) => typeof t === 'string' && (INSTRUCTION_LIKE.test(t.slice(0, 2000)) || /[\r\n{}]/.test(t.slice(0, 2000))));
  if (suspicious) extras.push({ ruleId: 'instruction_like_text', level: 'HIGH', message: 'Company text reads like instructions to the AI; its answer cannot lower the risk', source: 'rules' });
  const level = maxLevel(big ? 'MEDIUM' : 'LOW', ...(input.ruleFlags ?? []).map((f) => f.level), ...extras.map((f) => f.level));
  return { level, extras };
}

export function assessRisk(input: RiskInput, model: { riskLevel: RiskLevel } | null): RiskAssessment {
  const floor = ruleRisk(input);
  const aiLevel = model?.riskLevel ?? null;
  const level = maxLevel(floor.level, aiLevel);
  return { level, ruleLevel: floor.level, aiLevel, levelSource: aiLevel && RANK[aiLevel] > RANK[floor.level] ? 'ai' : 'rules', ruleExtras: floor.extras };
}

/**
 * The policy's evaluation with the floor applied: flags tagged by source; the rules' extra flags
 * added (and they need a human, like any HIGH rule); flags the model added are marked 'ai'.
 */
export function withRiskSources(evaluation: PolicyEvaluation, risk: RiskAssessment, aiRuleIds: readonly string[], aiFlags: string[] = []): Omit<PolicyEvaluation, 'flags'> & { flags: SourcedFlag[]; risk: RiskAssessment } {
  const flags: SourcedFlag[] = evaluation.flags.map((f) => ({ ...f, source: aiRuleIds.includes(f.ruleId) && risk.aiLevel === f.level ? 'ai' : 'rules' }));
  for (const extra of risk.ruleExtras) if (!flags.some((f) => f.ruleId === extra.ruleId)) flags.push(extra);
  aiFlags.slice(0, 5).forEach((message, i) => flags.push({ ruleId: `ai_flag_${i + 1}`, level: 'MEDIUM', message, source: 'ai' }));
  const extraMatched = risk.ruleExtras.map((f) => f.ruleId).filter((id) => !evaluation.matched.includes(id));
  return { ...evaluation, needsApproval: evaluation.needsApproval || risk.ruleExtras.length > 0, flags, matched: [...evaluation.matched, ...extraMatched], risk };
}

/** "HIGH — rules: HIGH · AI: LOW (cannot lower it)" for the sheet's AI risk field. */
export function riskLine(r: RiskAssessment, aiSource: string): string {
  const ai = r.aiLevel === null ? `AI: none (${aiSource})` : `AI: ${r.aiLevel}${RANK[r.aiLevel] < RANK[r.ruleLevel] ? ' (cannot lower it)' : r.levelSource === 'ai' ? ' (raised it)' : ''}`;
  return `${r.level} — rules: ${r.ruleLevel} · ${ai}`;
}

/** The assessment stored with the evaluation by withRiskSources (absent on runs from before it). */
export function riskOf(evaluation: unknown): RiskAssessment | null {
  const r = (evaluation as { risk?: RiskAssessment } | null | undefined)?.risk;
  return r && typeof r.level === 'string' ? r : null;
}
