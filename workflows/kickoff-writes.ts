import { createHash } from 'node:crypto';
import { createEvent } from 'ics';
import { SLACK_LIMITS, truncate } from '../blocks/limits.ts';
import { link, mention, safe } from '../blocks/text.ts';
import { writeLine, type IntendedWrite } from '../blocks/approval-sheet.ts';
import type { NotionSop } from '../src/integrations/notion.ts';
import type { Agenda } from './kickoff-agenda.ts';
import type { Slot } from './kickoff-slots.ts';
import { WorkflowError } from './errors.ts';
import { once } from './side-effects.ts';
import { slackError } from './slack-errors.ts';
import type { RunStateValue, WorkflowDeps } from './types.ts';

/** deal-stage-kickoff's own state (RunState.extra). */
export interface KickoffExtra {
  deal: { id: string; name: string | null; amount: number | null; stage: string | null; closeDate: string | null; ownerId: string | null };
  company: { id: string; properties: Record<string, unknown> } | null;
  owner: { id: string; name: string | null; email: string | null } | null;
  contacts: { id: string; name: string | null; email: string | null }[];
  slots: Slot[];
  slotSource: 'calendar' | 'rules';
  agenda: Agenda;
  /** The slot booked (ISO start), after the decision. */
  slot?: Slot;
  event?: { kind: 'google'; id: string; link: string | null } | { kind: 'ics'; uid: string; fileId: string | null; permalink: string | null };
  notion?: NotionSop | null;
  kickoffRowId?: string;
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/** Google event ids are base32hex (0-9, a-v), 5–1024 chars: the run id's SHA-256, base32hex-encoded, prefixed. */
export function eventIdFor(runId: string): string {
  const bytes = createHash('sha256').update(`kickoff:${runId}`).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32HEX[(value << (5 - bits)) & 31];
  return `orch${out}`;
}

/** RFC 5545 UID: stable per run, so a re-sent invite updates the same calendar entry. */
export const icsUidFor = (runId: string) => `${eventIdFor(runId)}@orch`;

export function attendeeEmails(x: KickoffExtra): string[] {
  return [...new Set([x.owner?.email, ...x.contacts.map((c) => c.email)].filter((e): e is string => Boolean(e)))];
}

export function eventTitle(x: KickoffExtra): string {
  return `Kickoff: ${x.deal.name ?? `deal ${x.deal.id}`}`;
}

export function agendaText(a: Agenda): string {
  return a.items.map((i, n) => `${n + 1}. ${i}`).join('\n');
}

/** The invitation as an .ics document (METHOD:REQUEST), built with the `ics` library. */
export function buildIcs(runId: string, x: KickoffExtra, slot: Slot): string {
  const { error, value } = createEvent({
    uid: icsUidFor(runId),
    productId: 'orch/deal-stage-kickoff',
    method: 'REQUEST',
    title: eventTitle(x),
    description: agendaText(x.agenda),
    start: Date.parse(slot.start),
    startInputType: 'utc',
    startOutputType: 'utc',
    end: Date.parse(slot.end),
    endInputType: 'utc',
    endOutputType: 'utc',
    ...(x.owner?.email ? { organizer: { name: x.owner.name ?? x.owner.email, email: x.owner.email } } : {}),
    attendees: attendeeEmails(x).map((email) => ({ email, name: email, rsvp: true, role: 'REQ-PARTICIPANT' as const })),
  });
  if (error || !value) throw new WorkflowError('invalid_input', `could not build the .ics invitation: ${error?.message ?? 'empty'}`);
  return value;
}

/**
 * Without Google: the .ics goes into the sheet's thread (files.uploadV2) and the owner gets a DM
 * with its link. Claimed once per run (side-effects.ts): a replay never uploads a second invite.
 */
export async function shareIcs(deps: WorkflowDeps, s: RunStateValue, x: KickoffExtra, slot: Slot): Promise<{ fileId: string | null; permalink: string | null }> {
  const { ctx } = deps;
  const approval = s.approvalId ? ((await ctx.models.Approval.findById(s.approvalId, { slack: 1 }).lean()) as { slack?: { channel?: string; ts?: string } } | null) : null;
  const res = await once(deps, s.runId, 'kickoff-ics', async () => {
    const content = buildIcs(s.runId, x, slot);
    let uploaded;
    try {
      uploaded = await ctx.slack.filesUploadV2({
        ...(approval?.slack?.channel ? { channel_id: approval.slack.channel, ...(approval.slack.ts ? { thread_ts: approval.slack.ts } : {}) } : {}),
        file: Buffer.from(content, 'utf8'),
        filename: 'kickoff.ics',
        title: eventTitle(x),
        initial_comment: 'Calendar invitation (.ics): open it to add the kickoff to your calendar.',
      } as never);
    } catch (err) {
      throw slackError(err, 'uploading the .ics invitation');
    }
    const file = (uploaded as { files?: { files?: { id?: string; permalink?: string }[] }[] }).files?.[0]?.files?.[0];
    return { fileId: file?.id ?? null, permalink: file?.permalink ?? null };
  });
  const shared = 'unknown' in res ? { fileId: null, permalink: null } : (res as { fileId: string | null; permalink: string | null });
  await once(deps, s.runId, 'kickoff-dm', () => dmOwner(deps, x, slot, shared.permalink)).catch((err: Error) => ctx.logger.warn('could not DM the kickoff invite to the owner', { runId: s.runId, error: err.message }));
  return shared;
}

async function dmOwner(deps: WorkflowDeps, x: KickoffExtra, slot: Slot, permalink: string | null): Promise<{ user: string | null }> {
  const email = x.owner?.email;
  if (!email) return { user: null };
  const found = await deps.ctx.slack.users.lookupByEmail({ email }).catch(() => null);
  const user = found?.user?.id;
  if (!user) return { user: null };
  const when = slackWhen(slot);
  const invite = permalink ? `\nInvitation: ${link(permalink, 'kickoff.ics')}` : '';
  await deps.ctx.slack.chat.postMessage({ channel: user, text: `:calendar: Kickoff booked for *${safe(x.deal.name ?? x.deal.id, 150)}* on ${when}.${invite}`, unfurl_links: false });
  return { user };
}

/** `<!date^…>` so every reader sees the slot in their own time zone; the fallback is UTC. */
export function slackWhen(slot: Slot): string {
  const t = Math.floor(Date.parse(slot.start) / 1000);
  return `<!date^${t}^{date_long_pretty} {time}|${slot.start.replace(/:00Z$/, 'Z')}>`;
}

/** The kickoff page in NOTION_KICKOFF_DATABASE_ID, found again by its Deal Id on a replay. */
export async function kickoffPage(deps: WorkflowDeps, databaseId: string, x: KickoffExtra, slot: Slot, eventLink: string | null): Promise<NotionSop> {
  const notion = deps.integrations.notion;
  if (!notion) throw new WorkflowError('configuration', 'NOTION_KICKOFF_DATABASE_ID is set but NOTION_TOKEN is not');
  const existing = await notion.findPageByProperty(databaseId, 'Deal Id', x.deal.id);
  if (existing) return existing;
  return notion.createPage({
    databaseId,
    title: eventTitle(x),
    properties: { 'Deal Id': x.deal.id, Slot: slot.start, Attendees: attendeeEmails(x).join(', ') },
    paragraphs: [
      `Deal: ${x.deal.name ?? x.deal.id}${x.deal.amount === null ? '' : ` ($${x.deal.amount.toLocaleString('en-US')})`}`,
      `Slot: ${slot.start} – ${slot.end}`,
      ...(eventLink ? [`Calendar event: ${eventLink}`] : []),
      `Agenda:\n${agendaText(x.agenda)}`,
    ],
  });
}

/** The thread reply: the slot in the reader's terms, and links to the event, page and row. */
export function kickoffReplyText(s: Pick<RunStateValue, 'decision' | 'writes' | 'mode'>, x: KickoffExtra): string {
  const d = s.decision;
  if (d?.decision === 'reject') return `:x: Rejected by ${mention(d.actor)}${d.reason ? `: ${safe(d.reason, 500)}` : ''}. No kickoff was booked.`;
  if (d?.decision !== 'approve' || !x.slot) return ':hourglass: Expired: no kickoff was booked.';
  const event = x.event?.kind === 'google' ? (x.event.link ? link(x.event.link, 'Calendar event') : 'Calendar event') : x.event?.kind === 'ics' ? 'the .ics invitation in this thread' : 'nothing (dry-run)';
  const page = x.notion ? ` · Notion: ${link(x.notion.url, x.notion.title, 80)}` : '';
  const writes: IntendedWrite[] = s.writes;
  const list = writes.length ? `\n${s.mode === 'dry-run' ? '*Dry-run*: nothing was written. Intended writes:' : '*Written:*'}\n${writes.map(writeLine).join('\n')}` : '';
  return truncate(`:white_check_mark: Approved by ${mention(d.actor)}. Kickoff on ${slackWhen(x.slot)}: ${event}${page}.${list}`, SLACK_LIMITS.sectionText);
}
