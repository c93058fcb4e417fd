import { beforeAll, describe, expect, it } from 'vitest';
import type { Models } from '../../src/db/models/index.ts';
import type { AppProcess } from '../helpers/app-process.ts';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import type { Fakes } from '../fakes/index.ts';
import { creation, propertyChange, until } from '../helpers/ingest.ts';
import { approveWith, choiceOf, waitForWorkflowSheet } from '../helpers/choices.ts';
import { eventIdFor } from '../../workflows/kickoff-writes.ts';
import { parseHours, proposeSlots } from '../../workflows/kickoff-slots.ts';

let fakes: Fakes;
let app: AppProcess;
let db: Models;
const OWNER_EMAIL = 'gina.owner@orch.test';
const CALENDAR = 'kickoffs@orch.test';
const TZ = 'America/New_York';
const HOURS = '09:00-17:00';

// One step attempt (no engine-level retries): a Google outage fails the run after the adapter's own backoff.
const e2e = useAppWithDb('kickoffgoogle', {
  env: (f) => {
    f.hubspot.addOwner({ id: '88', email: OWNER_EMAIL, firstName: 'Gina', lastName: 'Owner' });
    return { ...f.googleEnv(CALENDAR), ORCH_MODE: 'live', ORCH_RUNS_POLL: '200ms', ORCH_TZ: TZ, ORCH_KICKOFF_HOURS: HOURS, ORCH_STEP_RETRIES: '0', LOG_LEVEL: 'warn' };
  },
});
// The tests below read these names; the helper starts and stops what they point to.
beforeAll(() => void ({ fakes, app, db } = e2e));

const runOf = (dealId: string) => db.Run.findOne({ objectId: dealId, workflowId: 'deal-stage-kickoff' }).lean();
const endedAs = (dealId: string, status: string) => until(async () => ((await runOf(dealId))?.status === status ? runOf(dealId) : null), 30_000, `kickoff run ${dealId} ${status}`);
const eventsOf = (runId: string) => [...fakes.google.events.values()].filter((e) => e.id === eventIdFor(runId));
const kickoffRows = (dealId: string) => [...fakes.airtable.table('Kickoffs').values()].filter((r) => r.fields['Deal Id'] === dealId);

async function winDeal(id: string, name: string) {
  fakes.hubspot.put('contacts', { id: `6${id}`, properties: { firstname: 'Dana', lastname: 'Client', email: `dana.${id}@client.com` } });
  const associations = { contacts: [`6${id}`] };
  fakes.hubspot.put('deals', { id, properties: { dealname: name, amount: '5000', dealstage: 'contractsent', hubspot_owner_id: '88', hs_lastmodifieddate: '1' }, associations });
  await app.postHubSpot([creation('deal', id)]);
  await until(async () => (await db.WebhookEvent.countDocuments({ objectId: id, status: 'received' })) === 0 || null, 15_000, `deal ${id} created`);
  fakes.hubspot.put('deals', { id, properties: { dealname: name, amount: '5000', dealstage: 'closedwon', hubspot_owner_id: '88', hs_lastmodifieddate: '2' }, associations });
  await app.postHubSpot([propertyChange('deal', id, 'dealstage', 'closedwon')]);
}

const inWorkingHours = (iso: string) => {
  const local = new Date(iso).toLocaleTimeString('en-GB', { timeZone: TZ, hour12: false, hour: '2-digit', minute: '2-digit' });
  const minutes = Number(local.slice(0, 2)) * 60 + Number(local.slice(3));
  const { open, close } = parseHours(HOURS);
  return minutes >= open && minutes + 30 <= close;
};

describe('deal-stage-kickoff with Google Calendar', () => {
  it("when the owner's calendar is busy, then the proposed slots avoid it, and Approve creates one event with the run's derived id (a second click creates nothing)", async () => {
    // Busy from the first slot the calendar path would propose, for 3 hours.
    const firstFree = proposeSlots(new Date(), { tz: TZ, hours: HOURS, durationMs: 30 * 60_000, leadMs: 86_400_000, busy: [] })[0]?.start as string;
    const busy = { start: firstFree, end: new Date(Date.parse(firstFree) + 3 * 3600_000).toISOString() };
    fakes.google.busy(OWNER_EMAIL, [busy]);
    await winDeal('7301', 'Delta Launch');
    const sheet = await waitForWorkflowSheet(fakes, 'deal-stage-kickoff', '7301');
    expect(JSON.stringify(sheet.blocks)).toContain("the owner's calendar (free/busy)");
    const fb = fakes.google.callsTo('POST /calendar/v3/freeBusy').at(-1);
    expect((fb?.body as { items: { id: string }[] }).items).toEqual([{ id: OWNER_EMAIL }]);
    const options = choiceOf(sheet)?.options.map((o) => o.value) ?? [];
    expect(options).toHaveLength(3);
    for (const start of options) {
      const end = Date.parse(start) + 30 * 60_000;
      expect(end <= Date.parse(busy.start) || Date.parse(start) >= Date.parse(busy.end)).toBe(true);
      expect(inWorkingHours(start)).toBe(true);
    }

    await approveWith(app, sheet, options[2] as string);
    const run = await endedAs('7301', 'COMPLETED');
    const events = eventsOf(run?._id as string);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ calendarId: CALENDAR, summary: 'Kickoff: Delta Launch', start: { dateTime: options[2], timeZone: TZ } });
    expect(events[0]?.attendees?.map((a) => a.email).sort()).toEqual(['dana.7301@client.com', OWNER_EMAIL]);
    expect(kickoffRows('7301')[0]?.fields).toMatchObject({ Slot: options[2], Event: events[0]?.htmlLink, Status: 'booked' });
    expect(fakes.slack.files).toHaveLength(0);

    await approveWith(app, sheet, options[0] as string);
    await until(async () => fakes.slack.ephemerals.find((e) => /Already decided/.test(e.text ?? '')), 10_000, 'already decided');
    expect(eventsOf(run?._id as string)).toHaveLength(1);
    expect(fakes.google.callsTo('POST /calendar/v3/calendars/').length).toBe(1);
  });

  it('when the derived event id exists at Google already (an attempt that crashed after the insert), then the replay reads it back and creates nothing new', async () => {
    await winDeal('7303', 'Zeta Replay');
    const sheet = await waitForWorkflowSheet(fakes, 'deal-stage-kickoff', '7303');
    const runId = (await runOf('7303'))?._id as string;
    fakes.google.events.set(`${CALENDAR}/${eventIdFor(runId)}`, { calendarId: CALENDAR, id: eventIdFor(runId), htmlLink: 'https://calendar.google.com/calendar/event?eid=earlier', start: { dateTime: '2030-01-01T15:00:00Z' } });
    await approveWith(app, sheet, null);
    await endedAs('7303', 'COMPLETED');
    expect(eventsOf(runId)).toHaveLength(1);
    expect(fakes.google.callsTo(`/events/${eventIdFor(runId)}`).filter((c) => c.method === 'GET')).toHaveLength(1);
    expect(kickoffRows('7303')[0]?.fields.Event).toBe('https://calendar.google.com/calendar/event?eid=earlier');
  });

  it('when Google keeps failing, then the call is retried with backoff and the run fails visibly (dead letter) with nothing written', async () => {
    await winDeal('7302', 'Epsilon Deal');
    const sheet = await waitForWorkflowSheet(fakes, 'deal-stage-kickoff', '7302');
    fakes.google.inject({ match: 'POST /calendar/v3/calendars/', status: 503, times: 4 });
    await approveWith(app, sheet, null);
    const failed = await endedAs('7302', 'FAILED');
    expect(failed?.errorClass).toBe('transient');
    expect(fakes.google.callsTo('POST /calendar/v3/calendars/').filter((c) => c.status === 503)).toHaveLength(4);
    expect(kickoffRows('7302')).toHaveLength(0);
    expect(eventsOf(failed?._id as string)).toHaveLength(0);
    await until(async () => db.Exception.findOne({ type: 'integration_error', objectId: failed?._id }).lean(), 10_000, 'dead-letter exception');
  });
});
