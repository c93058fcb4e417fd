import { writeLine } from '../blocks/approval-sheet.ts';
import { SLACK_LIMITS, truncate } from '../blocks/limits.ts';
import { link, mention, safe } from '../blocks/text.ts';
import type { NotionSop } from '../src/integrations/notion.ts';
import { WorkflowError } from './errors.ts';
import { defaultRoleTables, roleLabel, type Role, type RoleInference, type Seniority } from './role-rules.ts';
import type { RunStateValue, WorkflowDeps } from './types.ts';

/** contact-role-mapping's own state (RunState.extra). */
export interface ContactExtra {
  contact: { id: string; name: string | null; properties: Record<string, unknown> };
  company: { id: string; properties: Record<string, unknown> } | null;
  inference: RoleInference;
  /** The role written: the inferred one, or the one the approver picked. */
  role: Role;
  seniority: Seniority;
  accountMissing?: boolean;
  accountRowId?: string | null;
  checklist?: ChecklistResult;
  templates?: NotionSop[];
}

export interface ChecklistResult {
  items: string[];
  /** The Notion page, when NOTION_CHECKLIST_DATABASE_ID is set. */
  id?: string;
  url?: string;
  /** The items as text (the Contacts Checklist field without Notion). */
  text: string;
}

/**
 * The role's permission checklist: a Notion page with one to-do per item in the checklist database
 * (found again by its Key `contactId:role` on a replay, so never created twice), else plain text.
 */
export async function writeChecklist(deps: WorkflowDeps, x: ContactExtra, databaseId: string | undefined): Promise<ChecklistResult> {
  const items = defaultRoleTables().checklists[x.role];
  const text = items.map((i) => `☐ ${i}`).join('\n');
  if (!databaseId) return { items, text };
  const notion = deps.integrations.notion;
  if (!notion) throw new WorkflowError('configuration', 'NOTION_CHECKLIST_DATABASE_ID is set but NOTION_TOKEN is not');
  const key = `${x.contact.id}:${x.role}`;
  const existing = await notion.findPageByProperty(databaseId, 'Key', key);
  const page =
    existing ??
    (await notion.createPage({
      databaseId,
      title: `Permissions: ${x.contact.name ?? `contact ${x.contact.id}`} (${roleLabel(x.role)})`,
      properties: { Key: key, 'HubSpot Id': x.contact.id, Role: x.role },
      paragraphs: [`Internal permissions for a ${roleLabel(x.role)} contact, seeded by orch (contact-role-mapping).`],
      todos: items,
    }));
  return { items, id: page.id, url: page.url, text };
}

/** The thread reply: decision, role (and who picked it), what was written, checklist and template links. */
export function contactReplyText(s: Pick<RunStateValue, 'decision' | 'writes' | 'mode'>, x: ContactExtra): string {
  const d = s.decision;
  const head =
    d?.decision === 'reject'
      ? `:x: Rejected by ${mention(d.actor)}${d.reason ? `: ${safe(d.reason, 500)}` : ''}.`
      : d?.decision === 'approve'
        ? `:white_check_mark: Approved by ${mention(d.actor)}.`
        : d
          ? ':hourglass: Expired: nothing was written.'
          : ':information_source: Finished.';
  if (d?.decision !== 'approve') return head;
  const corrected = x.role !== x.inference.roleCategory ? ` (corrected from ${roleLabel(x.inference.roleCategory)})` : '';
  const role = `*Role:* ${safe(`${roleLabel(x.role)} · ${x.seniority}`, 100, { mask: false })}${corrected}`;
  const writes = s.writes.length ? `${s.mode === 'dry-run' ? '*Dry-run*: nothing was written. Intended writes:' : '*Written:*'}\n${s.writes.map(writeLine).join('\n')}` : '_Nothing was written._';
  const checklist = x.checklist?.url ? `\n:ballot_box_with_check: Checklist: ${link(x.checklist.url, `${x.checklist.items.length} items`)}` : '';
  const templates = x.templates?.length ? `\n:books: Templates: ${x.templates.map((t) => link(t.url, t.title, 80)).join(' · ')}` : '';
  return truncate(`${head}\n${role}\n${writes}${checklist}${templates}`, SLACK_LIMITS.sectionText);
}
