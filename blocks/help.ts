import type { KnownBlock } from '@slack/types';
import { mrkdwn, SLACK_LIMITS } from './limits.ts';
import { esc } from './text.ts';

export interface HelpEntry {
  name: string;
  usage: string;
  summary: string;
  role: 'viewer' | 'operator' | 'admin';
}

export interface HelpOptions {
  /** The subcommand the user typed that does not exist. */
  unknown?: string;
  /** The closest existing subcommand, suggested as "Did you mean". */
  suggestion?: string;
}

const ROLE_NOTE: Record<HelpEntry['role'], string> = { viewer: '', operator: ' _(operators and admins)_', admin: ' _(admins)_' };

/** `/orch help`: every subcommand with its usage; for a typo, the closest match first. */
export function buildHelp(entries: HelpEntry[], opts: HelpOptions = {}): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [];
  let text = 'orch commands';
  if (opts.unknown !== undefined) {
    const hint = opts.suggestion ? ` Did you mean \`/orch ${esc(opts.suggestion, 40)}\`?` : '';
    text = `Unknown command \`${esc(opts.unknown, 40)}\`.${hint}`;
    blocks.push({ type: 'section', block_id: 'help_unknown', text: mrkdwn(`:thinking_face: ${text}`) });
  }
  const lines = entries.map((e) => `\`/orch ${esc(e.usage)}\` — ${esc(e.summary, 300)}${ROLE_NOTE[e.role]}`);
  // One section holds 3000 characters: the list continues in further sections instead of being cut.
  const chunks: string[][] = [[]];
  let size = '*orch commands*\n'.length;
  for (const line of lines) {
    if (size + line.length + 1 > SLACK_LIMITS.sectionText && (chunks.at(-1) as string[]).length) {
      chunks.push([]);
      size = 0;
    }
    (chunks.at(-1) as string[]).push(line);
    size += line.length + 1;
  }
  chunks.forEach((c, i) => blocks.push({ type: 'section', block_id: i === 0 ? 'help_commands' : `help_commands_${i + 1}`, text: mrkdwn(`${i === 0 ? '*orch commands*\n' : ''}${c.join('\n')}`, SLACK_LIMITS.sectionText) }));
  blocks.push({ type: 'context', block_id: 'help_roles', elements: [mrkdwn('Roles: *viewer* reads, *operator* also retries and replays, *admin* also approves, cancels, sets roles and the mode.')] });
  blocks.push({ type: 'context', block_id: 'help_explain', elements: [mrkdwn('Why did something happen? `/orch why company 9101` tells the story (events, runs, approvals under which policy version, writes, exceptions); `/orch ask who approved deal 4242?` answers in plain words; the *Why?* button on decided sheets and exception cards does the same.')] });
  return { text, blocks };
}
