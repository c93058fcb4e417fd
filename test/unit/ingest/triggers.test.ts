import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTriggerTable, matchTriggers, parseTriggerTable, propertiesFor, transitionProperties, type UnitFacts } from '../../../workflows/triggers.ts';
import { correlationKey } from '../../../src/ingest/router.ts';
import { buildEnvelope } from '../../../src/ingest/enrich.ts';

const table = loadTriggerTable(path.resolve(import.meta.dirname, '../../../workflows/triggers.json'));
const pc = (type: string, propertyName: string, propertyValue: string) => ({ subscriptionType: `${type}.propertyChange`, propertyName, propertyValue });

function facts(over: Partial<UnitFacts>): UnitFacts {
  return { objectType: 'company', events: [], properties: {}, ...over };
}

describe('trigger table', () => {
  it('when a company is created, then company-intake is triggered', () => {
    expect(matchTriggers(table, facts({ events: [{ subscriptionType: 'company.creation' }] })).map((m) => m.workflowId)).toEqual(['company-intake']);
  });

  it('when a company property inside the mask changes, then company-intake is triggered; outside the mask, nothing', () => {
    expect(matchTriggers(table, facts({ events: [pc('company', 'domain', 'a.com')] }))).toHaveLength(1);
    expect(matchTriggers(table, facts({ events: [pc('company', 'notes_last_updated', 'x')] }))).toEqual([]);
  });

  it('when a deal amount changes to at least the threshold, then procurement-approval is triggered; below it, not', () => {
    const events = [pc('deal', 'amount', '25000')];
    expect(matchTriggers(table, facts({ objectType: 'deal', events, properties: { amount: '25000', dealstage: 'appointmentscheduled' } })).map((m) => m.workflowId)).toEqual(['procurement-approval']);
    expect(matchTriggers(table, facts({ objectType: 'deal', events, properties: { amount: '500', dealstage: 'appointmentscheduled' } }))).toEqual([]);
  });

  it('when a small deal moves to a configured stage, then procurement-approval is triggered', () => {
    const events = [pc('deal', 'dealstage', 'contractsent')];
    expect(matchTriggers(table, facts({ objectType: 'deal', events, properties: { amount: '10', dealstage: 'contractsent' } }))).toHaveLength(1);
  });

  it('when a trigger is disabled, then it never matches', () => {
    const off = parseTriggerTable({ fetch: {}, triggers: [{ name: 'c', workflowId: 'contact-role-mapping', objectType: 'contact', enabled: false, events: ['contact.creation'] }] });
    expect(matchTriggers(off, facts({ objectType: 'contact', events: [{ subscriptionType: 'contact.creation' }] }))).toEqual([]);
  });

  it('when a contact is created or its job title, email, phone, owner or company changes, then contact-role-mapping is triggered; other properties, nothing', () => {
    const wf = (events: UnitFacts['events']) => matchTriggers(table, facts({ objectType: 'contact', events })).map((m) => m.workflowId);
    expect(wf([{ subscriptionType: 'contact.creation' }])).toEqual(['contact-role-mapping']);
    for (const p of ['jobtitle', 'email', 'phone', 'hubspot_owner_id', 'associatedcompanyid']) expect(wf([pc('contact', p, 'x')])).toEqual(['contact-role-mapping']);
    expect(wf([{ subscriptionType: 'contact.associationChange' }])).toEqual(['contact-role-mapping']);
    expect(wf([pc('contact', 'hs_lead_status', 'x')])).toEqual([]);
  });

  it('when a deal moves into closedwon, then the shipped table starts deal-stage-kickoff', () => {
    const won = matchTriggers(table, facts({ objectType: 'deal', events: [pc('deal', 'dealstage', 'closedwon')], properties: { amount: '500', dealstage: 'closedwon' }, previous: { dealstage: 'contractsent' } }));
    expect(won.map((m) => m.workflowId)).toEqual(['deal-stage-kickoff']);
  });

  it('when a stage transition trigger is enabled, then only the configured target stage (and from-stage) match', () => {
    const t = parseTriggerTable({
      fetch: {},
      triggers: [{ name: 'k', workflowId: 'deal-stage-kickoff', objectType: 'deal', events: ['deal.propertyChange'], stageTransitions: [{ to: ['closedwon'], from: ['contractsent'] }] }],
    });
    const ev = [pc('deal', 'dealstage', 'closedwon')];
    expect(matchTriggers(t, facts({ objectType: 'deal', events: ev, previous: { dealstage: 'contractsent' } }))).toHaveLength(1);
    expect(matchTriggers(t, facts({ objectType: 'deal', events: ev, previous: { dealstage: 'qualified' } }))).toEqual([]);
    expect(matchTriggers(t, facts({ objectType: 'deal', events: [pc('deal', 'dealstage', 'closedlost')], previous: { dealstage: 'contractsent' } }))).toEqual([]);
    // Unknown stage before (first sight of the deal): a `from` cannot be confirmed.
    expect(matchTriggers(t, facts({ objectType: 'deal', events: ev }))).toEqual([]);
  });

  it('when a burst moves a deal through several stages, then the change before the last one is the from-stage', () => {
    const t = parseTriggerTable({
      fetch: {},
      triggers: [{ name: 'k', workflowId: 'deal-stage-kickoff', objectType: 'deal', events: ['deal.propertyChange'], stageTransitions: [{ to: ['closedwon'], from: ['contractsent'] }] }],
    });
    const burst = [pc('deal', 'dealstage', 'contractsent'), pc('deal', 'dealstage', 'closedwon')];
    expect(matchTriggers(t, facts({ objectType: 'deal', events: burst, previous: { dealstage: 'qualified' } }))).toHaveLength(1);
    const skipped = [pc('deal', 'dealstage', 'qualified'), pc('deal', 'dealstage', 'closedwon')];
    expect(matchTriggers(t, facts({ objectType: 'deal', events: skipped, previous: { dealstage: 'contractsent' } }))).toEqual([]);
    const any = parseTriggerTable({
      fetch: {},
      triggers: [{ name: 'k', workflowId: 'deal-stage-kickoff', objectType: 'deal', events: ['deal.propertyChange'], stageTransitions: [{ to: ['closedwon'], from: ['*'] }] }],
    });
    expect(matchTriggers(any, facts({ objectType: 'deal', events: [pc('deal', 'dealstage', 'closedwon')] }))).toHaveLength(1);
    expect(transitionProperties(t, 'deal')).toEqual(['dealstage']);
  });

  it('when the table has an unknown workflow or field, then loading fails with the path', () => {
    expect(() => parseTriggerTable({ fetch: {}, triggers: [{ name: 'x', workflowId: 'nope', objectType: 'deal', events: ['deal.creation'] }] })).toThrow(/triggers\.0\.workflowId/);
  });

  it('when properties are listed for a type, then every property a trigger reads is fetched', () => {
    expect(propertiesFor(table, 'deal')).toEqual(expect.arrayContaining(['amount', 'dealstage', 'hs_lastmodifieddate']));
  });
});

describe('correlation key', () => {
  const unit = { _id: 'unit_1', objectType: 'company', objectId: '42' };
  const events = [
    { _id: 'evt_2', subscriptionType: 'company.propertyChange', occurredAt: new Date(2000), receivedAt: new Date(3000), portalId: 7, propertyName: 'domain' },
    { _id: 'evt_1', subscriptionType: 'company.creation', occurredAt: new Date(1000), receivedAt: new Date(2500), portalId: 7 },
  ].sort((a, b) => +a.occurredAt - +b.occurredAt);

  it("when the object has hs_lastmodifieddate, then the key is objectType:objectId:updatedAt:workflowId", () => {
    const env = buildEnvelope(unit, events, { properties: { hs_lastmodifieddate: '2026-01-02T03:04:05.000Z' } });
    expect(correlationKey(env, 'company-intake')).toBe(`company:42:${Date.parse('2026-01-02T03:04:05.000Z')}:company-intake`);
    expect(env.meta).toMatchObject({ eventIds: ['evt_1', 'evt_2'], correlationId: 'unit_1', portalId: 7, changedProperties: ['domain'], occurredFrom: new Date(1000).toISOString() });
  });

  it('when the object has no last-modified date, then the last event time stands in', () => {
    const env = buildEnvelope(unit, events, { properties: {} });
    expect(correlationKey(env, 'company-intake')).toBe('company:42:2000:company-intake');
  });
});
