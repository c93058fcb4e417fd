import type { App } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { buildAppHome } from '../../blocks/app-home.ts';
import { getDashboard, markDashboardDirty, onDashboard, refreshDashboard } from '../../src/services/dashboard.ts';
import { dependencyHealth } from '../../src/services/health.ts';
import { roleOf } from '../../src/services/rbac.ts';
import { getMode } from '../../src/services/settings.ts';
import { homePublisherFor, mostRecent } from '../home-publisher.ts';

/** Users who opened the Home tab within this long get it re-published after changes. */
const RECENT_MS = 30 * 60_000;
const DEBOUNCE_MS = 1_000;
const PERIODIC_MS = 60_000;

/**
 * Builds and publishes one user's Home tab from the dashboard snapshot, on the Home publisher's own
 * Slack client and limiter (bot/home-publisher.ts): a rate-limited Home never delays sheets.
 */
export async function publishHome(ctx: AppContext, userId: string): Promise<'published' | 'skipped'> {
  return homePublisherFor(ctx).publish(userId, () => buildHome(ctx, userId));
}

async function buildHome(ctx: AppContext, userId: string) {
  const [role, mode, health, dash] = await Promise.all([roleOf(ctx.models, userId), getMode(ctx), dependencyHealth(ctx), getDashboard(ctx)]);
  const view = buildAppHome({
    role,
    mode,
    slaMs: ctx.config.ORCH_SLA,
    today: dash.kpis.today,
    week: dash.kpis.week,
    sparkline: dash.kpis.sparkline,
    volume: dash.kpis.volume,
    pendingApprovals: dash.pendingApprovals,
    pendingTotal: dash.queue.pendingApprovals,
    openExceptions: dash.openExceptions,
    openTotal: dash.queue.openExceptions,
    recentFailures: dash.recentFailures,
    health,
    asOf: dash.computedAt,
    now: new Date(),
  });
  return view;
}

/** `app_home_opened` → publish; changes (runs, approvals, settings) → debounced re-publish for recent viewers. */
export function registerAppHome(app: App, ctx: AppContext): void {
  const viewers = new Map<string, number>();
  let republish = false;
  let timer: NodeJS.Timeout | undefined;

  // Re-publish for the ORCH_HOME_MAX_VIEWERS most recent viewers only; others get theirs on their next open.
  const publishRecent = async () => {
    const cutoff = Date.now() - RECENT_MS;
    for (const [user, at] of viewers) if (at < cutoff) viewers.delete(user);
    const publisher = homePublisherFor(ctx);
    for (const user of mostRecent(viewers, cutoff, ctx.config.ORCH_HOME_MAX_VIEWERS)) {
      if (publisher.paused()) return;
      await publishHome(ctx, user).catch((err) => ctx.logger.warn('Home re-publish failed', { user, error: (err as Error).message }));
    }
  };
  onDashboard(ctx, () => {
    if (!republish) return;
    republish = false;
    void publishRecent();
  });
  const changed = () => {
    markDashboardDirty(ctx);
    if (viewers.size === 0) return;
    republish = true;
    clearTimeout(timer);
    timer = setTimeout(() => void refreshDashboard(ctx).catch((err) => ctx.logger.warn('dashboard refresh failed', { error: (err as Error).message })), DEBOUNCE_MS);
    timer.unref();
  };
  ctx.events.on('home.changed', changed);
  ctx.events.on('run.finished', changed);
  ctx.events.on('run.created', changed);
  ctx.events.on('approval.decided', changed);
  // Changes made by other instances raise no local event: refresh on a slow beat while someone looks.
  let beat: NodeJS.Timeout | undefined;
  ctx.lifecycle.add({
    name: 'app-home-refresh',
    start: () => {
      // Warm the snapshot so the first Home or `/orch runs` after a start does not wait for it.
      void refreshDashboard(ctx).catch((err) => ctx.logger.warn('dashboard warm-up failed', { error: (err as Error).message }));
      beat = setInterval(() => viewers.size > 0 && changed(), PERIODIC_MS);
      beat.unref();
    },
    stop: () => {
      clearInterval(beat);
      clearTimeout(timer);
    },
  });

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab && event.tab !== 'home') return;
    viewers.set(event.user, Date.now());
    try {
      await publishHome(ctx, event.user);
    } catch (err) {
      ctx.logger.error('App Home publish failed', { user: event.user, error: (err as Error).message });
    }
  });
}
