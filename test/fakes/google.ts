import type { Request, Response } from 'express';
import { FakeServer } from './base.ts';

export interface FakeEvent {
  calendarId: string;
  id: string;
  summary?: string;
  description?: string;
  start?: { dateTime?: string; timeZone?: string };
  end?: { dateTime?: string; timeZone?: string };
  attendees?: { email: string }[];
  htmlLink: string;
}

/**
 * Google Calendar v3 fake (rootUrl = `${url}/`): freeBusy, events insert (client-chosen ids,
 * 409 on a duplicate as Google answers) and get. Busy times are seeded with busy(); every request
 * must carry a bearer JWT (the adapter self-signs one with the service account key).
 */
export class GoogleCalendarFake extends FakeServer {
  readonly events = new Map<string, FakeEvent>();
  private readonly busyTimes = new Map<string, { start: string; end: string }[]>();

  constructor() {
    super('google');
    this.app.use('/calendar', (req, res, next) => {
      if (/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(req.get('authorization') ?? '')) return next();
      res.status(401).json(this.errorBody(401));
    });
    this.app.post('/calendar/v3/freeBusy', (req, res) => this.freeBusy(req, res));
    this.app.post('/calendar/v3/calendars/:calendarId/events', (req, res) => this.insert(req, res));
    this.app.get('/calendar/v3/calendars/:calendarId/events/:eventId', (req, res) => this.getEvent(req, res));
  }

  /** Marks a calendar (id or email) busy in these intervals. */
  busy(calendar: string, intervals: { start: string; end: string }[]): void {
    this.busyTimes.set(calendar, [...(this.busyTimes.get(calendar) ?? []), ...intervals]);
  }

  protected errorBody(status: number): unknown {
    const reason = status === 409 ? 'duplicate' : status === 404 ? 'notFound' : status === 429 ? 'rateLimitExceeded' : status === 401 ? 'authError' : 'backendError';
    const message = status === 409 ? 'The requested identifier already exists.' : status === 404 ? 'Not Found' : `status ${status}`;
    return { error: { code: status, message, errors: [{ domain: 'global', reason, message }] } };
  }

  protected clearState(): void {
    this.events.clear();
    this.busyTimes.clear();
  }

  private freeBusy(req: Request, res: Response): void {
    const body = (req.body ?? {}) as { timeMin?: string; timeMax?: string; items?: { id: string }[] };
    if (!body.timeMin || !body.timeMax || !Array.isArray(body.items)) {
      res.status(400).json(this.errorBody(400));
      return;
    }
    const { timeMin, timeMax } = body;
    const calendars = Object.fromEntries(
      body.items.map(({ id }) => [id, { busy: (this.busyTimes.get(id) ?? []).filter((b) => b.end > timeMin && b.start < timeMax) }]),
    );
    res.json({ kind: 'calendar#freeBusy', timeMin, timeMax, calendars });
  }

  private insert(req: Request, res: Response): void {
    const calendarId = String(req.params.calendarId);
    const body = (req.body ?? {}) as Omit<FakeEvent, 'calendarId' | 'htmlLink'>;
    if (!body.id || !/^[0-9a-v]{5,1024}$/.test(body.id) || !body.start?.dateTime || !body.end?.dateTime) {
      res.status(400).json({ error: { code: 400, message: 'Invalid resource id value.', errors: [{ domain: 'global', reason: 'invalid', message: 'Invalid resource id value.' }] } });
      return;
    }
    const key = `${calendarId}/${body.id}`;
    if (this.events.has(key)) {
      res.status(409).json(this.errorBody(409));
      return;
    }
    const event: FakeEvent = { ...body, calendarId, htmlLink: `https://calendar.google.com/calendar/event?eid=${body.id}` };
    this.events.set(key, event);
    res.json({ kind: 'calendar#event', status: 'confirmed', ...event });
  }

  private getEvent(req: Request, res: Response): void {
    const event = this.events.get(`${String(req.params.calendarId)}/${String(req.params.eventId)}`);
    if (!event) {
      res.status(404).json(this.errorBody(404));
      return;
    }
    res.json({ kind: 'calendar#event', status: 'confirmed', ...event });
  }
}
