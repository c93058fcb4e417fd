import { describe, expect, it } from 'vitest';
import { classifyEvent, dedupeKey, quarantineKey } from '../../../src/ingest/schema.ts';
import { buildEventDocs } from '../../../src/ingest/store.ts';

const change = {
  eventId: 100,
  subscriptionId: 9,
  portalId: 62515,
  appId: 1,
  occurredAt: 1_700_000_000_000,
  subscriptionType: 'company.propertyChange',
  attemptNumber: 0,
  objectId: 123,
  propertyName: 'industry',
  propertyValue: 'SOFTWARE',
  changeSource: 'CRM',
};

describe('event schema', () => {
  it('when a propertyChange event is well formed, then it is valid with its object', () => {
    const c = classifyEvent(change);
    expect(c).toMatchObject({ kind: 'valid', objectType: 'company', objectId: '123' });
  });

  it('when an associationChange event has no objectId, then fromObjectId names the object', () => {
    const c = classifyEvent({ eventId: 1, portalId: 1, occurredAt: 1, subscriptionType: 'contact.associationChange', associationType: 'CONTACT_TO_COMPANY', fromObjectId: 77, toObjectId: 88 });
    expect(c).toMatchObject({ kind: 'valid', objectType: 'contact', objectId: '77' });
  });

  it('when the subscription type is not one orch handles, then it is unknown (stored and ignored), not malformed', () => {
    expect(classifyEvent({ ...change, subscriptionType: 'ticket.creation' })).toMatchObject({ kind: 'unknown' });
    expect(classifyEvent({ ...change, subscriptionType: 'company.frobnicate' })).toMatchObject({ kind: 'unknown' });
  });

  it('when ids come as numbers or digit strings and values as numbers, booleans or null, then the event holds them as text (null kept)', () => {
    const asText = classifyEvent({ ...change, eventId: '100', subscriptionId: '9', objectId: '123' });
    const asNumbers = classifyEvent(change);
    expect(asText).toEqual(asNumbers);
    expect(asNumbers).toMatchObject({ kind: 'valid', event: { eventId: '100', subscriptionId: '9', objectId: '123' } });
    for (const [value, text] of [[42.5, '42.5'], [true, 'true'], [null, null], ['', '']] as const) {
      expect(classifyEvent({ ...change, propertyValue: value })).toMatchObject({ kind: 'valid', event: { propertyValue: text } });
    }
    const merge = classifyEvent({ eventId: 1, portalId: 1, occurredAt: 1, subscriptionType: 'contact.merge', objectId: 5, primaryObjectId: 5, mergedObjectIds: [6, '7'], newObjectId: 8 });
    expect(merge).toMatchObject({ kind: 'valid', event: { objectId: '5', primaryObjectId: '5', mergedObjectIds: ['6', '7'], newObjectId: '8' } });
    const assoc = classifyEvent({ eventId: 1, portalId: 1, occurredAt: 1, subscriptionType: 'contact.associationChange', associationType: 'CONTACT_TO_COMPANY', fromObjectId: 77, toObjectId: '88' });
    expect(assoc).toMatchObject({ kind: 'valid', event: { fromObjectId: '77', toObjectId: '88' } });
    expect(classifyEvent({ ...change, subscriptionType: 'ticket.creation', objectId: 9 })).toMatchObject({ kind: 'unknown', event: { eventId: '100', objectId: '9' } });
    expect(classifyEvent({ ...change, objectId: -1 })).toMatchObject({ kind: 'malformed', reason: expect.stringContaining('objectId') });
    expect(classifyEvent({ ...change, objectId: '12a' })).toMatchObject({ kind: 'malformed', reason: expect.stringContaining('objectId') });
  });

  it('when fields are missing or of the wrong type, then it is malformed with a readable reason', () => {
    expect(classifyEvent({ ...change, occurredAt: 'yesterday' })).toMatchObject({ kind: 'malformed', reason: expect.stringContaining('occurredAt') });
    expect(classifyEvent({ ...change, propertyName: undefined })).toMatchObject({ kind: 'malformed', reason: expect.stringContaining('propertyName') });
    expect(classifyEvent('not an object')).toMatchObject({ kind: 'malformed' });
  });
});

describe('dedupe key', () => {
  const key = (e: object) => {
    const c = classifyEvent(e);
    if (c.kind !== 'valid') throw new Error(c.kind);
    return dedupeKey(c.event);
  };

  it('when HubSpot re-delivers an event with a higher attemptNumber, then the key is the same', () => {
    expect(key({ ...change, attemptNumber: 3 })).toBe(key(change));
  });

  it('when two events share an eventId but differ in object, property, value or time, then their keys differ', () => {
    const base = key(change);
    for (const other of [{ objectId: 124 }, { propertyName: 'domain' }, { propertyValue: 'RETAIL' }, { occurredAt: change.occurredAt + 1 }, { portalId: 2 }]) {
      expect(key({ ...change, ...other })).not.toBe(base);
    }
  });

  it('when malformed items are keyed, then identical items share a key and different ones do not', () => {
    expect(quarantineKey({ a: 1 })).toBe(quarantineKey({ a: 1 }));
    expect(quarantineKey({ a: 1 })).not.toBe(quarantineKey({ a: 2 }));
  });

  it('when a batch is turned into documents, then each gets its status, and the raw JSON is kept where the fields do not say everything', () => {
    const docs = buildEventDocs([change, { ...change, subscriptionType: 'ticket.creation' }, { nope: true }], 'whb_1', 1_700_000_000_500);
    expect(docs.map((d) => d.status)).toEqual(['received', 'ignored', 'quarantined']);
    expect(JSON.parse(docs[2]?.raw as string)).toEqual({ nope: true });
    expect(docs[1]?.raw).toBeDefined();
    expect(docs[0]?.raw).toBeUndefined();
    expect(docs[0]).toMatchObject({ objectType: 'company', objectId: '123', propertyName: 'industry', propertyValue: 'SOFTWARE' });
    expect(new Set(docs.map((d) => d._id)).size).toBe(3);
  });
});
