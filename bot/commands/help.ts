import { buildHelp } from '../../blocks/help.ts';
import { allSubcommands } from './registry.ts';
import type { Subcommand } from './types.ts';

export function helpReply(opts: { unknown?: string; suggestion?: string } = {}) {
  const entries = allSubcommands().map((s) => ({ name: s.name, usage: s.usage, summary: s.summary, role: s.role }));
  return buildHelp(entries, opts);
}

export const helpCommand: Subcommand = {
  name: 'help',
  usage: 'help',
  summary: 'this list',
  role: 'viewer',
  run: async () => helpReply(),
};
