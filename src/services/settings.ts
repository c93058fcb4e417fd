import type { AppContext } from '../context.ts';
import { audit } from './audit.ts';

export type Mode = 'dry-run' | 'live';
type SettingsCtx = Pick<AppContext, 'config' | 'models'>;

// A short cache keeps the per-run read cheap; setMode clears it, other instances see a change within a second.
const CACHE_MS = 1000;
// Caches the stored value only (null = none stored): the ORCH_MODE fallback is applied per call.
const cache = new WeakMap<object, { stored: Mode | null; at: number }>();

/**
 * The mode in force: the `mode` setting in MongoDB, or ORCH_MODE when nobody has set one yet.
 * The workflow engine reads this before every external write (invariant 9).
 */
export async function getMode(ctx: SettingsCtx): Promise<Mode> {
  const hit = cache.get(ctx.models);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.stored ?? ctx.config.ORCH_MODE;
  const doc = await ctx.models.Setting.findById('mode', { value: 1 }).lean();
  const stored: Mode | null = doc?.value === 'live' || doc?.value === 'dry-run' ? doc.value : null;
  cache.set(ctx.models, { stored, at: Date.now() });
  return stored ?? ctx.config.ORCH_MODE;
}

/** Stores the mode and audits the change; returns the previous mode. */
export async function setMode(ctx: SettingsCtx, mode: Mode, actor: string): Promise<Mode> {
  const previous = await getMode(ctx);
  await ctx.models.Setting.updateOne({ _id: 'mode' }, { $set: { value: mode, updatedBy: actor } }, { upsert: true });
  cache.delete(ctx.models);
  await audit(ctx.models, { actor, action: 'mode.set', target: 'mode', details: { from: previous, to: mode } });
  return previous;
}
