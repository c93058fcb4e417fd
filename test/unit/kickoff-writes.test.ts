import { describe, expect, it } from 'vitest';
import { buildIcs, eventIdFor, icsUidFor, kickoffReplyText, slackWhen, type KickoffExtra } from '../../workflows/kickoff-writes.ts';

const x: KickoffExtra = {
  deal: { id: '7201', name: 'Acme Rollout', amount: 8000, stage: 'closedwon', closeDate: null, ownerId: '77' },
  company: { id: '5201', properties: { name: 'Acme' } },
  owner: { id: '77', name: 'Olivia Owner', email: 'olivia@orch.test' },
  contacts: [{ id: '1', name: 'Ann', email: 'ann@acme.com' }, { id: '2', name: 'No Mail', email: null }],
  slots: [{ start: '2026-12-03T09:00:00Z', end: '2026-12-03T09:30:00Z' }],
  slotSource: 'rules',
  agenda: { title: 'Kickoff', items: ['Recap', 'Plan'], source: 'template' },
};

describe('kickoff writes', () => {
  it('when an event id is derived, then it is base32hex, stable per run and different across runs', () => {
    const id = eventIdFor('run_abc');
    expect(id).toMatch(/^orch[0-9a-v]{52}$/);
    expect(eventIdFor('run_abc')).toBe(id);
    expect(eventIdFor('run_abd')).not.toBe(id);
    expect(icsUidFor('run_abc')).toBe(`${id}@orch`);
  });

  it('when the invitation is built, then it is an RFC 5545 REQUEST with the UTC slot, the derived UID and every attendee with an email', () => {
    // RFC 5545 folds lines at 75 octets (CRLF + space): unfold before matching.
    const ics = buildIcs('run_abc', x, { start: '2026-12-03T09:00:00Z', end: '2026-12-03T09:30:00Z' }).replace(/\r\n[ \t]/g, '');
    expect(ics).toContain('BEGIN:VCALENDAR');
    expect(ics).toContain('METHOD:REQUEST');
    expect(ics).toContain('DTSTART:20261203T090000Z');
    expect(ics).toContain('DTEND:20261203T093000Z');
    expect(ics).toContain(`UID:${icsUidFor('run_abc')}`);
    expect(ics).toContain('SUMMARY:Kickoff: Acme Rollout');
    expect(ics).toMatch(/ATTENDEE;.*mailto:ann@acme\.com/);
    expect(ics).toMatch(/ORGANIZER;CN="?Olivia Owner"?:mailto:olivia@orch\.test/i);
  });

  it('when the slot is shown in Slack, then it uses <!date^…> with a UTC fallback', () => {
    expect(slackWhen({ start: '2026-12-03T09:00:00Z', end: '2026-12-03T09:30:00Z' })).toBe('<!date^1796288400^{date_long_pretty} {time}|2026-12-03T09:00Z>');
  });

  it('when the kickoff was rejected or booked, then the thread reply says so (reason masked)', () => {
    expect(kickoffReplyText({ decision: { approvalId: 'a', decision: 'reject', actor: 'U1', reason: 'call ann@acme.com first', at: '' }, writes: [], mode: 'live' }, x)).toBe(':x: Rejected by <@U1>: call a***@acme.com first. No kickoff was booked.');
    const booked = kickoffReplyText({ decision: { approvalId: 'a', decision: 'approve', actor: 'U1', at: '' }, writes: [], mode: 'live' }, { ...x, slot: x.slots[0], event: { kind: 'google', id: 'e', link: 'https://cal/e' } });
    expect(booked).toContain('<https://cal/e|Calendar event>');
    expect(booked).toContain('<!date^1796288400^');
  });

  it('when the reason, the deal or the page title carry Slack markup, then the replies show it as text and links cannot break out', async () => {
    const H = '<!channel> <@U123> <https://x|y>';
    const { contactReplyText } = await import('../../workflows/contact-writes.ts');
    const rejected = kickoffReplyText({ decision: { approvalId: 'a', decision: 'reject', actor: '<!here>', reason: H, at: '' }, writes: [], mode: 'live' }, x);
    const booked = kickoffReplyText({ decision: { approvalId: 'a', decision: 'approve', actor: 'U1', at: '' }, writes: [], mode: 'live' }, { ...x, slot: x.slots[0], notion: { id: 'p', title: H, url: 'https://notion.so/p|<!channel>' } });
    const contact = contactReplyText(
      { decision: { approvalId: 'a', decision: 'approve', actor: 'U1', at: '' }, writes: [], mode: 'live' },
      { contact: { id: '1', name: H, properties: {} }, company: null, inference: { roleCategory: 'finance', seniority: 'vp', confidence: 1, source: 'rules' }, role: 'legal', seniority: 'vp', templates: [{ id: 't', title: H, url: 'javascript:alert(1)' }] },
    );
    for (const t of [rejected, booked, contact]) for (const m of ['<!channel>', '<!here>', '<@U123>', '<https://x|y>']) expect(t).not.toContain(m);
    expect(contact).not.toContain('javascript:');
  });
});
