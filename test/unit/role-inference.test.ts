import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { inferRole } from '../../workflows/role-inference.ts';

const logger = createLogger({ level: 'error' });
/** An OpenAI adapter stand-in answering `structured` calls with a fixed value (or failing). */
const ai = (answer: unknown) => ({ calls: 0, async structured() { this.calls++; if (answer instanceof Error) throw answer; return answer; } });

describe('role inference (OpenAI first, the keyword table as fallback)', () => {
  it('when OpenAI answers inside the schema, then its answer is used', async () => {
    const r = await inferRole(ai({ roleCategory: 'legal', seniority: 'director', confidence: 0.8 }), 'Director, Legal Affairs', logger);
    expect(r).toEqual({ roleCategory: 'legal', seniority: 'director', confidence: 0.8, source: 'openai' });
  });

  it('when OpenAI answers out of schema, fails, or is not configured, then the keyword table decides and says why', async () => {
    const outOfSchema = await inferRole(ai({ roleCategory: 'wizard', seniority: 'vp', confidence: 3 }), 'VP of Finance', logger);
    expect(outOfSchema).toMatchObject({ roleCategory: 'finance', seniority: 'vp', source: 'rules' });
    expect(outOfSchema.note).toMatch(/OpenAI failed: the answer does not match the schema/);
    const extra = await inferRole(ai({ roleCategory: 'finance', seniority: 'vp', confidence: 0.9, why: 'x' }), 'CFO', logger);
    expect(extra.source).toBe('rules');
    const failed = await inferRole(ai(new Error('429 rate limited')), 'Software Engineer', logger);
    expect(failed).toMatchObject({ roleCategory: 'technical', seniority: 'individual', source: 'rules', note: 'OpenAI failed: 429 rate limited' });
    expect(await inferRole(null, 'CFO', logger)).toMatchObject({ roleCategory: 'finance', seniority: 'c_level', note: 'OpenAI is not configured' });
  });

  it('when the job title is empty, then OpenAI is not asked and the role is other with confidence 0', async () => {
    const openai = ai({ roleCategory: 'finance', seniority: 'vp', confidence: 1 });
    expect(await inferRole(openai, '  ', logger)).toMatchObject({ roleCategory: 'other', seniority: 'unknown', confidence: 0 });
    expect(openai.calls).toBe(0);
  });
});
