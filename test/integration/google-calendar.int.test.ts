import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createGoogleCalendar, parseServiceAccountKey } from '../../src/integrations/google-calendar.ts';
import { GoogleCalendarFake } from '../fakes/google.ts';
import { fakeServiceAccountKey } from '../fakes/index.ts';
import { FAST_RETRIES } from '../helpers/integrations.ts';

const logger = createLogger({ level: 'error' });
let fake: GoogleCalendarFake;

beforeAll(async () => {
  fake = await new GoogleCalendarFake().start();
});
afterAll(async () => {
  await fake?.stop();
});

const adapter = () =>
  createGoogleCalendar({ serviceAccountKey: JSON.stringify(fakeServiceAccountKey()), calendarId: 'kickoffs@orch.test', rootUrl: `${fake.url}/`, logger, metrics: createMetrics(), resilience: FAST_RETRIES });

describe('Google Calendar adapter (official client against the fake)', () => {
  it('when free/busy is asked, then the seeded busy times inside the window come back, signed with a self-made JWT', async () => {
    fake.busy('owner@acme.com', [{ start: '2026-06-03T09:00:00Z', end: '2026-06-03T10:00:00Z' }, { start: '2026-07-01T09:00:00Z', end: '2026-07-01T10:00:00Z' }]);
    const busy = await adapter()?.freeBusy(['owner@acme.com'], '2026-06-02T00:00:00Z', '2026-06-10T00:00:00Z');
    expect(busy).toEqual([{ start: '2026-06-03T09:00:00Z', end: '2026-06-03T10:00:00Z' }]);
    const auth = String(fake.callsTo('POST /calendar/v3/freeBusy')[0]?.headers.authorization);
    const claims = JSON.parse(Buffer.from(auth.split('.')[1] ?? '', 'base64url').toString()) as { iss?: string; scope?: string };
    expect(claims.iss).toBe('orch@orch-test.iam.gserviceaccount.com');
    expect(claims.scope).toContain('calendar.events');
  });

  it('when the same event id is created twice, then Google keeps one event and the second call reads it back', async () => {
    const cal = adapter();
    const input = { id: 'orchabc123def', summary: 'Kickoff', description: 'Agenda', start: '2026-06-03T10:00:00Z', end: '2026-06-03T10:30:00Z', timeZone: 'UTC', attendees: ['owner@acme.com'] };
    const first = await cal?.createEvent(input);
    const second = await cal?.createEvent(input);
    expect(first).toMatchObject({ id: 'orchabc123def', created: true });
    expect(second).toMatchObject({ id: 'orchabc123def', created: false, htmlLink: first?.htmlLink });
    expect([...fake.events.values()].filter((e) => e.id === 'orchabc123def')).toHaveLength(1);
  });

  it('when Google answers 503 then 200, then the call is retried with backoff and succeeds', async () => {
    fake.inject({ match: 'POST /calendar/v3/freeBusy', status: 503 });
    await expect(adapter()?.freeBusy(['x@acme.com'], '2026-06-02T00:00:00Z', '2026-06-03T00:00:00Z')).resolves.toEqual([]);
  });

  it('when the key or calendar id is missing or the key is not JSON, then there is no adapter or a clear error', () => {
    expect(createGoogleCalendar({ serviceAccountKey: undefined, calendarId: 'x', rootUrl: 'http://x/', logger })).toBeNull();
    expect(() => parseServiceAccountKey('not json')).toThrow(/not JSON/);
    expect(() => parseServiceAccountKey('{"client_email":"a@b"}')).toThrow(/private_key/);
  });
});
