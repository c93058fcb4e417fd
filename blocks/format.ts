/** Small text formatters shared by the surfaces' block builders (pure, locale-free). */

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

export function pct(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined ? '–' : `${(ratio * 100).toFixed(ratio === 1 || ratio === 0 ? 0 : 1)}%`;
}

/** "5 min ago" relative to `now`. */
export function ago(d: Date | string | null | undefined, now: Date): string {
  if (!d) return '–';
  const ms = now.getTime() - new Date(d).getTime();
  return ms < 5_000 ? 'just now' : `${duration(ms).replace(/\.\d/, '')} ago`;
}

/** "2026-11-22 10:05 UTC". */
export function stamp(d: Date | string | null | undefined): string {
  if (!d) return '–';
  return `${new Date(d).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export const STATUS_ICONS: Record<string, string> = {
  PENDING: ':hourglass_flowing_sand:',
  RUNNING: ':arrows_counterclockwise:',
  WAITING_APPROVAL: ':raised_hand:',
  COMPLETED: ':white_check_mark:',
  FAILED: ':x:',
  CANCELLED: ':no_entry_sign:',
};

export const HEALTH_ICONS: Record<string, string> = { ok: ':large_green_circle:', degraded: ':red_circle:', 'not configured': ':white_circle:' };
