import Bottleneck from 'bottleneck';
import { ErrorCode, WebClient, type View } from '@slack/web-api';
import type { Config } from '../src/config.ts';
import type { Lifecycle } from '../src/lifecycle.ts';
import type { Logger } from '../src/logger.ts';

/**
 * App Home publishing on a Slack client and limiter of its own (issue 14 defect 8). The shared
 * client pauses its whole queue on a 429, so Home refreshes for many viewers used to hold back
 * approval sheets and decision redraws. Here a 429 on views.publish rejects at once
 * (`rejectRateLimitedCalls`), Home publishing pauses for the Retry-After, and nothing else waits.
 * At most one publish per user is queued; the rest are dropped (the next change publishes again).
 */
export interface HomePublisher {
  /** 'published', or 'skipped' when rate-limited or already queued for this user. */
  publish(userId: string, view: () => Promise<View>): Promise<'published' | 'skipped'>;
  /** True while Slack told us to wait (Retry-After). */
  paused(): boolean;
  stop(): Promise<void>;
}

export interface HomePublisherOptions {
  token: string;
  slackApiUrl: string;
  perMinute: number;
  logger: Logger;
  now?: () => number;
}

export function createHomePublisher(opts: HomePublisherOptions): HomePublisher {
  const now = opts.now ?? Date.now;
  const client = new WebClient(opts.token, { slackApiUrl: opts.slackApiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, timeout: 10_000 });
  const limiter = new Bottleneck({ maxConcurrent: 2, minTime: Math.ceil(60_000 / opts.perMinute) });
  const queued = new Set<string>();
  let pausedUntil = 0;

  const send = async (userId: string, view: () => Promise<View>): Promise<'published' | 'skipped'> => {
    if (now() < pausedUntil) return 'skipped';
    try {
      await client.views.publish({ user_id: userId, view: await view() });
      return 'published';
    } catch (err) {
      const e = err as { code?: string; retryAfter?: number };
      if (e.code !== ErrorCode.RateLimitedError) throw err;
      pausedUntil = Math.max(pausedUntil, now() + (e.retryAfter ?? 30) * 1000);
      opts.logger.warn('App Home publishing paused: Slack rate-limited views.publish', { retryAfterS: e.retryAfter, user: userId });
      return 'skipped';
    }
  };

  return {
    async publish(userId, view) {
      if (now() < pausedUntil || queued.has(userId)) return 'skipped';
      queued.add(userId);
      try {
        return await limiter.schedule(() => send(userId, view));
      } finally {
        queued.delete(userId);
      }
    },
    paused: () => now() < pausedUntil,
    async stop() {
      await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
    },
  };
}

const publishers = new WeakMap<object, HomePublisher>();

/** The publisher of one app context (created on first use, stopped with the context's lifecycle). */
export function homePublisherFor(ctx: { config: Config; logger: Logger; lifecycle?: Pick<Lifecycle, 'add'> }): HomePublisher {
  let p = publishers.get(ctx);
  if (!p) {
    const created = createHomePublisher({ token: ctx.config.SLACK_BOT_TOKEN, slackApiUrl: ctx.config.SLACK_API_URL, perMinute: ctx.config.ORCH_HOME_PUBLISH_PER_MINUTE, logger: ctx.logger });
    p = created;
    publishers.set(ctx, created);
    ctx.lifecycle?.add({ name: 'app-home-publisher', stop: () => created.stop() });
  }
  return p;
}

/** The `limit` most recent viewers (by last open), newest first. */
export function mostRecent(viewers: ReadonlyMap<string, number>, cutoff: number, limit: number): string[] {
  return [...viewers]
    .filter(([, at]) => at >= cutoff)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([user]) => user);
}
