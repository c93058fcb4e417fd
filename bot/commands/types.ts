import type { KnownBlock } from '@slack/types';
import type { AppContext } from '../../src/context.ts';
import type { Role } from '../../src/db/models/user.ts';

/** Entry points other areas hand to the Slack surfaces (absent = "not available on this instance"). */
export interface SurfaceHooks {
  /** INGEST's replay of stored webhook events through the live path. */
  replay?: (eventIds: string[], opts: { replayOf: string; actor: string; force: boolean }) => Promise<{ replayUnitId: string }>;
}

export interface CommandInput {
  ctx: AppContext;
  hooks: SurfaceHooks;
  /** Words after the subcommand name. */
  args: string[];
  userId: string;
  channelId?: string;
  /** The slash command's trigger_id: lets a subcommand open a modal (within 3 s). */
  triggerId?: string;
  role: Role;
  now: Date;
}

export interface Reply {
  text: string;
  blocks?: KnownBlock[];
}

export interface Subcommand {
  name: string;
  /** e.g. `runs [status] [workflow] [--since 24h]`, shown in help and on bad arguments. */
  usage: string;
  summary: string;
  /** Lowest role allowed; refusals are audited. */
  role: Role;
  run(input: CommandInput): Promise<Reply>;
}

/** Bad arguments: the user gets the one-line usage, never a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function reply(text: string, blocks?: KnownBlock[]): Reply {
  return blocks ? { text, blocks } : { text };
}
