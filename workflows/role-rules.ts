import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Role categories and seniority levels of contact-role-mapping (issue 11; contracts). */
export const ROLES = ['executive', 'finance', 'legal', 'procurement', 'technical', 'operations', 'sales', 'marketing', 'other'] as const;
export const SENIORITIES = ['c_level', 'vp', 'director', 'manager', 'individual', 'unknown'] as const;
export type Role = (typeof ROLES)[number];
export type Seniority = (typeof SENIORITIES)[number];

export interface RoleInference {
  roleCategory: Role;
  seniority: Seniority;
  /** 0–1. */
  confidence: number;
  /** 'hubspot': the role orch wrote earlier (orch_role), kept while the job title stays the same. */
  source: 'openai' | 'rules' | 'hubspot';
  /** Why the rules were used, or which patterns matched. */
  note?: string;
}

const patterns = z.array(z.string().min(1)).min(1);
const rulesSchema = z.object({
  categories: z.array(z.object({ role: z.enum(ROLES), patterns })).min(1),
  seniority: z.array(z.object({ level: z.enum(SENIORITIES), patterns })).min(1),
  fallbackRole: z.enum(ROLES),
  confidence: z.object({ both: z.number().min(0).max(1), categoryOnly: z.number().min(0).max(1), seniorityOnly: z.number().min(0).max(1), none: z.number().min(0).max(1) }),
});
const checklistSchema = z.object({ roles: z.record(z.enum(ROLES), z.array(z.string().min(1).max(300)).max(50)) });

export type RoleRules = z.infer<typeof rulesSchema>;
export type RoleChecklists = Record<Role, string[]>;

interface Compiled {
  rules: RoleRules;
  categories: { role: Role; res: RegExp[] }[];
  seniority: { level: Seniority; res: RegExp[] }[];
}

/** Validates a rule table and compiles its patterns (a bad regex fails here, at start, not mid-run). */
export function compileRoleRules(raw: unknown): Compiled {
  const rules = rulesSchema.parse(raw);
  const re = (p: string) => new RegExp(p, 'i');
  return { rules, categories: rules.categories.map((c) => ({ role: c.role, res: c.patterns.map(re) })), seniority: rules.seniority.map((s) => ({ level: s.level, res: s.patterns.map(re) })) };
}

let defaults: { compiled: Compiled; checklists: RoleChecklists } | undefined;

/** The shipped tables (workflows/role-rules.json, workflows/role-checklists.json), read once. */
export function defaultRoleTables(): { compiled: Compiled; checklists: RoleChecklists } {
  if (!defaults) {
    const read = (f: string) => JSON.parse(readFileSync(new URL(f, import.meta.url), 'utf8')) as unknown;
    const checklists = checklistSchema.parse(read('./role-checklists.json')).roles as Partial<RoleChecklists>;
    defaults = { compiled: compileRoleRules(read('./role-rules.json')), checklists: Object.fromEntries(ROLES.map((r) => [r, checklists[r] ?? checklists.other ?? []])) as RoleChecklists };
  }
  return defaults;
}

/**
 * The keyword table: "VP of Finance" → finance / vp (0.9), "CFO" → finance / c_level,
 * "Software Engineer" → technical / individual. No job title → other / unknown / 0 (so it asks).
 */
export function inferRoleByRules(jobTitle: string | null | undefined, compiled: Compiled = defaultRoleTables().compiled, note?: string): RoleInference {
  const title = (jobTitle ?? '').trim();
  const withNote = (r: Omit<RoleInference, 'source'>): RoleInference => ({ ...r, source: 'rules', ...(note ? { note } : r.note ? { note: r.note } : {}) });
  if (!title) return withNote({ roleCategory: 'other', seniority: 'unknown', confidence: 0, note: 'no job title' });
  const category = compiled.categories.find((c) => c.res.some((r) => r.test(title)))?.role;
  const level = compiled.seniority.find((s) => s.res.some((r) => r.test(title)))?.level;
  const c = compiled.rules.confidence;
  if (category && level) return withNote({ roleCategory: category, seniority: level, confidence: c.both });
  if (category) return withNote({ roleCategory: category, seniority: 'unknown', confidence: c.categoryOnly });
  if (level) return withNote({ roleCategory: compiled.rules.fallbackRole, seniority: level, confidence: c.seniorityOnly });
  return withNote({ roleCategory: 'other', seniority: 'unknown', confidence: c.none, note: 'no rule matched the job title' });
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** "finance" → "Finance", for pickers and sheets. */
export function roleLabel(r: string): string {
  return r.charAt(0).toUpperCase() + r.slice(1).replace(/_/g, ' ');
}
