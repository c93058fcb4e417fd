import type { AppContext } from '../context.ts';
import { audit } from './audit.ts';

export type Mode = 'dry-run' | 'live';
type SettingsCtx = Pick<AppContext, 'config' | 'models'>;

// A short cache keeps the per-run read cheap; setMode clears it, other instances see a change within a second.
const CACHE_MS = 1000;
const cache = new WeakMap<object, { mode: Mode; at: number }>();

/**
 * The mode in force: the `mode` setting in MongoDB, or ORCH_MODE when nobody has set one yet.
 * The workflow engine reads this before every external write (invariant 9).
 */
export async function getMode(ctx: SettingsCtx): Promise<Mode> {
  const hit = cache.get(ctx.models);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.mode;
  const doc = await ctx.models.Setting.findById('mode', { value: 1 }).lean();
  const mode: Mode = doc?.value === 'live' || doc?.value === 'dry-run' ? doc.value : ctx.config.ORCH_MODE;
  cache.set(ctx.models, { mode, at: Date.now() });
  return mode;
}

/** Stores the mode and audits the change; returns the previous mode. */
export async function setMode(ctx: SettingsCtx, mode: Mode, actor: string): Promise<Mode> {
  const previous = await getMode(ctx);
  await ctx.models.Setting.updateOne({ _id: 'mode' }, { $set: { value: mode, updatedBy: actor } }, { upsert: true });
  cache.delete(ctx.models);
  await audit(ctx.models, { actor, action: 'mode.set', target: 'mode', details: { from: previous, to: mode } });
  return previous;
}
