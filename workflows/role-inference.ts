import { z } from 'zod';
import type { OpenAIAdapter } from '../src/integrations/openai.ts';
import type { Logger } from '../src/logger.ts';
import { inferRoleByRules, ROLES, SENIORITIES, type RoleInference } from './role-rules.ts';

/** OpenAI's answer must be exactly this (strict structured output); anything else → the keyword table. */
export const roleAnswerSchema = z.strictObject({
  roleCategory: z.enum(ROLES),
  seniority: z.enum(SENIORITIES),
  confidence: z.number().min(0).max(1),
});

export const ROLE_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['roleCategory', 'seniority', 'confidence'],
  properties: {
    roleCategory: { type: 'string', enum: [...ROLES], description: 'The function this person works in' },
    seniority: { type: 'string', enum: [...SENIORITIES], description: 'How senior the person is' },
    confidence: { type: 'number', description: 'How sure you are, 0 to 1' },
  },
} as const;

const SYSTEM =
  'You map B2B contacts to internal roles for a revenue-operations team from their job title. Answer only with the JSON object the schema describes. When the title is vague, pick "other" / "unknown" and a low confidence.';

/**
 * The role of a contact from its job title: OpenAI under a strict schema when configured, else (or
 * when it fails or answers out of schema) the deterministic table. Never throws: the run goes on.
 */
export async function inferRole(openai: Pick<OpenAIAdapter, 'structured'> | null, jobTitle: string | null, logger: Logger, context: Record<string, unknown> = {}): Promise<RoleInference> {
  if (!jobTitle?.trim()) return inferRoleByRules(null);
  if (!openai) return inferRoleByRules(jobTitle, undefined, 'OpenAI is not configured');
  try {
    const raw = await openai.structured({ name: 'contact_role', schema: ROLE_JSON_SCHEMA, system: SYSTEM, user: JSON.stringify({ jobTitle }) });
    const parsed = roleAnswerSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`the answer does not match the schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return { ...parsed.data, source: 'openai' };
  } catch (err) {
    const message = (err as Error).message.slice(0, 200);
    logger.warn('OpenAI role inference failed, using the keyword table', { ...context, error: message });
    return inferRoleByRules(jobTitle, undefined, `OpenAI failed: ${message}`);
  }
}
