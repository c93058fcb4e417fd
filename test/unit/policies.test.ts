import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { evaluatePolicy, ruleMatches, type PolicyRule } from '../../workflows/policy-eval.ts';
import { fallbackEnrichment, normalizeCompany, normalizeDomain } from '../../workflows/company-intake.ts';
import { normalizeDeal } from '../../workflows/procurement-approval.ts';
import { computeDiff } from '../../workflows/diff.ts';

const seed = JSON.parse(readFileSync(new URL('../../workflows/policies.json', import.meta.url), 'utf8')) as { policies: { name: string; rules: PolicyRule[] }[] };
const intake = seed.policies.find((p) => p.name === 'company-intake')!;
const procurement = seed.policies.find((p) => p.name === 'procurement-approval')!;

describe('company-intake policy (seed file)', () => {
  it('when a small unregulated company changes nothing protected, then no approval is needed', () => {
    expect(evaluatePolicy(intake, { employees: 50, revenue: 1_000_000, industry: 'SOFTWARE', aiRisk: 'LOW', changedFields: ['name'] })).toEqual({ needsApproval: false, flags: [], matched: [] });
  });
  it.each([
    [{ employees: 1001 }, 'large_company'],
    [{ revenue: '10000001' }, 'high_revenue'],
    [{ industry: 'banking' }, 'regulated_industry'],
    [{ aiRisk: 'HIGH' }, 'ai_risk_high'],
    [{ changedFields: ['owner'] }, 'protected_field_change'],
    [{ changedFields: ['Domain'] }, 'protected_field_change'],
  ])('when facts are %o, then rule %s sends the run to approval', (facts, rule) => {
    const ev = evaluatePolicy(intake, facts);
    expect(ev.needsApproval).toBe(true);
    expect(ev.matched).toEqual([rule]);
  });
  it('when values sit exactly on the thresholds, then they do not match (strictly greater)', () => {
    expect(evaluatePolicy(intake, { employees: 1000, revenue: 10_000_000 }).needsApproval).toBe(false);
  });
  it('when a protected field changed, then the flag names it and has the rule level', () => {
    const ev = evaluatePolicy(intake, { changedFields: ['domain', 'name'] });
    expect(ev.flags).toEqual([{ ruleId: 'protected_field_change', level: 'HIGH', message: 'Change to a protected field (domain or owner): domain' }]);
  });
});

describe('procurement policy (seed file)', () => {
  it('when the amount reaches the threshold or the stage is configured, then approval is needed', () => {
    expect(evaluatePolicy(procurement, { amount: 10000 }).matched).toEqual(['amount_threshold']);
    expect(evaluatePolicy(procurement, { amount: 500, dealstage: 'contractsent' }).matched).toEqual(['approval_stage']);
    expect(evaluatePolicy(procurement, { amount: 9999.99, dealstage: 'appointmentscheduled' }).needsApproval).toBe(false);
  });
  it('when a fact is missing or not a number, then numeric rules do not match', () => {
    expect(ruleMatches({ id: 'x', when: { field: 'amount', op: 'gte', value: 1 } }, { amount: 'abc' })).toBe(false);
    expect(ruleMatches({ id: 'x', when: { field: 'amount', op: 'gte', value: 1 } }, {})).toBe(false);
  });
  it('when a rule is informational (requiresApproval false), then it flags without asking', () => {
    const ev = evaluatePolicy({ rules: [{ id: 'info', when: { field: 'a', op: 'eq', value: 1 }, requiresApproval: false, level: 'LOW' }] }, { a: 1 });
    expect(ev).toMatchObject({ needsApproval: false, matched: ['info'] });
  });
});

describe('normalization and diff', () => {
  it('when a domain has a scheme, www, a path or upper case, then only the host is kept', () => {
    expect(normalizeDomain('https://www.Acme.COM/about?x=1')).toBe('acme.com');
    expect(normalizeDomain('acme.io')).toBe('acme.io');
    expect(normalizeDomain('  ')).toBeNull();
  });
  it('when HubSpot sends strings, then numbers become numbers and blanks become null', () => {
    expect(normalizeCompany('5', { name: ' Acme ', numberofemployees: '1,200', annualrevenue: '', hubspot_owner_id: '77', lifecyclestage: 'lead' })).toEqual({
      hubspotId: '5', name: 'Acme', domain: null, industry: null, employees: 1200, revenue: null, lifecycleStage: 'lead', owner: '77',
    });
    expect(normalizeDeal('9', { dealname: 'D', amount: '12000.50' })).toMatchObject({ dealId: '9', amount: 12000.5 });
  });
  it('when OpenAI is unavailable, then the fallback is deterministic', () => {
    const c = normalizeCompany('5', { name: 'Acme', domain: 'acme.com', numberofemployees: '5000' });
    expect(fallbackEnrichment(c, 'n')).toEqual(fallbackEnrichment(c, 'n'));
    expect(fallbackEnrichment(c, 'n')).toMatchObject({ riskLevel: 'MEDIUM', source: 'fallback', summary: 'Acme (acme.com)' });
  });
  it('when the mirror differs, then added, changed and removed fields are reported and blanks are ignored', () => {
    expect(computeDiff({ Name: 'A', Domain: 'a.com', Owner: '1', Industry: '' }, { Name: 'A', Domain: 'b.com', Employees: 10, Industry: null })).toEqual([
      { field: 'Domain', kind: 'changed', old: 'a.com', new: 'b.com' },
      { field: 'Owner', kind: 'removed', old: '1' },
      { field: 'Employees', kind: 'added', new: 10 },
    ]);
  });
});
