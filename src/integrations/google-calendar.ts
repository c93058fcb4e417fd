import { calendar, auth as gauth, type calendar_v3 } from '@googleapis/calendar';
import { z } from 'zod';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { IntegrationError } from './errors.ts';
import { createResilience, type Health, type ResilienceOptions } from './resilience.ts';

export interface CalendarEventInput {
  /** Client-chosen id (base32hex, 5–1024 chars): a replay inserts the same id and gets the existing event. */
  id: string;
  summary: string;
  description: string;
  start: string;
  end: string;
  timeZone: string;
  attendees: string[];
}

export interface CalendarEvent {
  id: string;
  htmlLink: string | null;
  /** false when the id existed already (a replay). */
  created: boolean;
}

export interface CalendarAdapter {
  /** Busy intervals of these calendars (ids or emails) between two instants. */
  freeBusy(calendars: string[], timeMin: string, timeMax: string): Promise<{ start: string; end: string }[]>;
  /** Inserts the event with its own id; an existing id (409) is read back instead. */
  createEvent(input: CalendarEventInput): Promise<CalendarEvent>;
  health(): Promise<Health>;
  stop(): Promise<void>;
}

export interface CalendarOptions {
  /** GOOGLE_SERVICE_ACCOUNT_KEY: the service account's JSON key (the whole JSON document). */
  serviceAccountKey: string | undefined;
  /** GOOGLE_CALENDAR_ID: the calendar kickoffs are created in (e.g. a shared "Kickoffs" calendar). */
  calendarId: string | undefined;
  /** GOOGLE_API_URL: Google's root URL (https://www.googleapis.com/); a local fake in tests. */
  rootUrl: string;
  logger: Logger;
  metrics?: Pick<Metrics, 'registry'>;
  resilience?: ResilienceOptions;
}

const keySchema = z.object({ client_email: z.string().min(3), private_key: z.string().min(20), private_key_id: z.string().optional() });
const SCOPES = ['https://www.googleapis.com/auth/calendar.events', 'https://www.googleapis.com/auth/calendar.freebusy'];

/** The service account key as JSON, validated; throws a readable error (config checks call it at start). */
export function parseServiceAccountKey(json: string): z.infer<typeof keySchema> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('GOOGLE_SERVICE_ACCOUNT_KEY is not JSON (paste the whole key file of the service account)');
  }
  const parsed = keySchema.safeParse(raw);
  if (!parsed.success) throw new Error('GOOGLE_SERVICE_ACCOUNT_KEY lacks client_email / private_key');
  return parsed.data;
}

/** null unless both the key and the calendar id are configured. */
export function createGoogleCalendar(opts: CalendarOptions): CalendarAdapter | null {
  if (!opts.serviceAccountKey || !opts.calendarId) return null;
  const key = parseServiceAccountKey(opts.serviceAccountKey);
  const calendarId = opts.calendarId;
  // A self-signed JWT with the scopes (no token endpoint round trip): Google accepts it for service accounts.
  const jwt = new gauth.JWT({ email: key.client_email, key: key.private_key, ...(key.private_key_id ? { keyId: key.private_key_id } : {}), scopes: SCOPES });
  jwt.useJWTAccessWithScope = true;
  // retry: false — resilience.ts is the only retry loop.
  const api: calendar_v3.Calendar = calendar({ version: 'v3', auth: jwt, rootUrl: opts.rootUrl, retry: false });
  const r = createResilience({
    service: 'google',
    logger: opts.logger,
    registry: opts.metrics?.registry,
    rateLimit: { max: 10, windowMs: 1000, maxConcurrent: 5 },
    options: { retries: 3, timeoutMs: 15_000, ...opts.resilience },
  });
  const linkOf = (e: calendar_v3.Schema$Event) => e.htmlLink ?? null;

  return {
    async freeBusy(calendars, timeMin, timeMax) {
      const res = await r.call('freebusy.query', () => api.freebusy.query({ requestBody: { timeMin, timeMax, items: calendars.map((id) => ({ id })) } }));
      const out: { start: string; end: string }[] = [];
      for (const [id, c] of Object.entries(res.data.calendars ?? {})) {
        if (c.errors?.length) opts.logger.warn('google calendar: free/busy not readable for a calendar', { calendar: id, reason: c.errors[0]?.reason });
        for (const b of c.busy ?? []) if (b.start && b.end) out.push({ start: b.start, end: b.end });
      }
      return out;
    },
    async createEvent(input) {
      const requestBody: calendar_v3.Schema$Event = {
        id: input.id,
        summary: input.summary,
        description: input.description,
        start: { dateTime: input.start, timeZone: input.timeZone },
        end: { dateTime: input.end, timeZone: input.timeZone },
        attendees: input.attendees.map((email) => ({ email })),
      };
      try {
        const res = await r.call('events.insert', () => api.events.insert({ calendarId, sendUpdates: 'all', requestBody }));
        return { id: res.data.id ?? input.id, htmlLink: linkOf(res.data), created: true };
      } catch (err) {
        // 409: the id exists, i.e. this kickoff was booked by an earlier attempt of the same run.
        if (!(err instanceof IntegrationError && err.status === 409)) throw err;
        const res = await r.call('events.get', () => api.events.get({ calendarId, eventId: input.id }));
        return { id: input.id, htmlLink: linkOf(res.data), created: false };
      }
    },
    health: async () => r.health(),
    stop: () => r.stop(),
  };
}
