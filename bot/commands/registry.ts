import { closest, distance } from 'fastest-levenshtein';
import type { Subcommand } from './types.ts';

const registry = new Map<string, Subcommand>();

/**
 * Adds a `/orch <name>` subcommand. Other areas (e.g. `reconcile`, `dlq`) add a handler file that
 * exports a Subcommand and one line in bot/commands/index.ts.
 */
export function registerSubcommand(sub: Subcommand): void {
  registry.set(sub.name, sub);
}

export function findSubcommand(name: string): Subcommand | undefined {
  return registry.get(name);
}

export function allSubcommands(): Subcommand[] {
  return [...registry.values()];
}

/** The closest subcommand name to a typo, when it is close enough to be a plausible intent. */
export function suggest(name: string): string | undefined {
  const names = [...registry.keys()];
  if (names.length === 0 || !name) return undefined;
  const best = closest(name, names);
  return distance(name, best) <= Math.max(2, Math.floor(best.length / 2)) ? best : undefined;
}
