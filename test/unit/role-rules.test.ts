import { describe, expect, it } from 'vitest';
import { compileRoleRules, defaultRoleTables, inferRoleByRules, ROLES } from '../../workflows/role-rules.ts';

const infer = (t: string | null) => {
  const r = inferRoleByRules(t);
  return [r.roleCategory, r.seniority, r.confidence];
};

describe('role rules (workflows/role-rules.json)', () => {
  it('when the title is one of the documented examples, then the documented role and seniority come out', () => {
    expect(infer('VP of Finance')).toEqual(['finance', 'vp', 0.9]);
    expect(infer('CFO')).toEqual(['finance', 'c_level', 0.9]);
    expect(infer('Software Engineer')).toEqual(['technical', 'individual', 0.9]);
  });

  it('when titles name other functions, then the first matching category wins in table order', () => {
    expect(infer('General Counsel')).toEqual(['legal', 'individual', 0.9]);
    expect(infer('Chief Executive Officer')).toEqual(['executive', 'c_level', 0.9]);
    expect(infer('Director of Procurement')).toEqual(['procurement', 'director', 0.9]);
    expect(infer('Head of IT')).toEqual(['technical', 'vp', 0.9]);
    expect(infer('Sales Operations Manager')).toEqual(['sales', 'manager', 0.9]);
    expect(infer('Account Executive')).toEqual(['sales', 'individual', 0.9]);
    expect(infer('COO')).toEqual(['operations', 'c_level', 0.9]);
    expect(infer('marketing')).toEqual(['marketing', 'unknown', 0.7]);
  });

  it('when only a seniority matches, then the fallback role is used with low confidence (it asks)', () => {
    expect(infer('Director')).toEqual(['executive', 'director', 0.5]);
  });

  it('when the contact has no job title, then role other, seniority unknown, confidence 0', () => {
    expect(infer(null)).toEqual(['other', 'unknown', 0]);
    expect(infer('   ')).toEqual(['other', 'unknown', 0]);
    expect(inferRoleByRules('').note).toBe('no job title');
  });

  it('when nothing matches, then other / unknown with the table\'s "none" confidence, below the 0.6 approval line', () => {
    const r = inferRoleByRules('Galactic Overlord');
    expect([r.roleCategory, r.seniority, r.source]).toEqual(['other', 'unknown', 'rules']);
    expect(r.confidence).toBeLessThan(0.6);
  });

  it('when a table has a bad pattern or an unknown role, then compiling it fails', () => {
    const good = { categories: [{ role: 'finance', patterns: ['fin'] }], seniority: [{ level: 'vp', patterns: ['vp'] }], fallbackRole: 'other', confidence: { both: 1, categoryOnly: 0.5, seniorityOnly: 0.4, none: 0.1 } };
    expect(() => compileRoleRules(good)).not.toThrow();
    expect(() => compileRoleRules({ ...good, categories: [{ role: 'finance', patterns: ['(unclosed'] }] })).toThrow();
    expect(() => compileRoleRules({ ...good, fallbackRole: 'wizard' })).toThrow();
  });

  it('when the shipped checklists are read, then every role has at least one item', () => {
    const { checklists } = defaultRoleTables();
    for (const role of ROLES) expect(checklists[role].length).toBeGreaterThan(0);
  });
});
