import { LRUCache } from 'lru-cache';
import Bottleneck from 'bottleneck';
import { Counter } from 'prom-client';
import type { KnownBlock } from '@slack/types';
import type { AppContext } from '../context.ts';
import { buildAlertMessage, type AlertKind, type AlertSeverity } from '../../blocks/alerts.ts';

export type { AlertKind, AlertSeverity };

export interface AlertInput {
  /** Same key inside ORCH_ALERT_DEDUP → one DM whose count goes up, e.g. `run_failed:company-intake:integration_error`. */
  key: string;
  kind: AlertKind;
  severity: AlertSeverity;
  text: string;
  blocks?: KnownBlock[];
  /** The HubSpot owner's email: the DM goes to their Slack user when found, else to the admins. */
  ownerEmail?: string;
  links?: { text: string; url: string }[];
  runId?: string;
  exceptionId?: string;
}

export interface AlertResult {
  /** `sent`: first of its window, DM posted; `counted`: a repeat, the existing DM will show the count. */
  outcome: 'sent' | 'counted' | 'failed';
  count: number;
  recipients: string[];
}

export type AlertCtx = Pick<AppContext, 'config' | 'logger' | 'models' | 'slack' | 'metrics'>;

export interface AlertOptions {
  /** How long repeats are coalesced before the DM is edited with the new count. */
  updateDelayMs?: number;
  /** How long a users.lookupByEmail answer (found or not) is trusted. */
  lookupTtlMs?: number;
  /** Global Slack budget for alert posts/edits per minute (chat.postMessage is ~1/s per channel). */
  perMinute?: number;
}

interface State {
  limiter: Bottleneck;
  /** Slack user by email: bounded (EMAIL_CACHE_MAX, least recently used evicted) and expiring (lookupTtlMs). */
  emails: LRUCache<string, { userId: string | null; at: number }>;
  timers: Map<string, NodeJS.Timeout>;
  /** alert() calls posting their first DM and count edits under way: flushAlerts waits for them. */
  posting: Set<Promise<unknown>>;
  counter: Counter<'kind' | 'outcome'>;
  opts: Required<AlertOptions>;
}

const states = new WeakMap<object, State>();

/** Slack users remembered by email at most (personal data: bounded and evicting). */
export const EMAIL_CACHE_MAX = 5000;

/** Per-app state (limiter, caches), keyed by the models object so tests running several apps stay apart. */
export function configureAlerts(ctx: AlertCtx, options: AlertOptions = {}): State {
  const opts: Required<AlertOptions> = { updateDelayMs: 750, lookupTtlMs: 3_600_000, perMinute: 60, ...options };
  const old = states.get(ctx.models);
  const state: State = {
    opts,
    limiter: new Bottleneck({
      maxConcurrent: 2,
      minTime: 100,
      reservoir: opts.perMinute,
      reservoirRefreshAmount: opts.perMinute,
      reservoirRefreshInterval: 60_000,
      // Past this backlog, new posts are dropped (and counted) rather than queued for hours.
      highWater: 500,
      strategy: Bottleneck.strategy.OVERFLOW,
    }),
    emails: old?.emails ?? new LRUCache({ max: EMAIL_CACHE_MAX, ttl: opts.lookupTtlMs }),
    timers: new Map(),
    posting: new Set(),
    counter:
      old?.counter ??
      new Counter({ name: 'orch_alerts_total', help: 'DM alerts by kind and outcome (sent, counted, updated, dropped, failed)', labelNames: ['kind', 'outcome'] as const, registers: [ctx.metrics.registry] }),
  };
  states.set(ctx.models, state);
  return state;
}

function stateFor(ctx: AlertCtx): State {
  return states.get(ctx.models) ?? configureAlerts(ctx);
}

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

/** Atomically joins the open window for `key` (count+1) or opens a new one; exactly one caller gets `first`. */
async function claimWindow(ctx: AlertCtx, input: AlertInput, now: Date): Promise<{ first: boolean; count: number; windowStart: Date }> {
  const { Alert } = ctx.models;
  const windowFloor = new Date(now.getTime() - ctx.config.ORCH_ALERT_DEDUP);
  const payload = { text: input.text, runId: input.runId, exceptionId: input.exceptionId, links: input.links, blocks: input.blocks };
  for (let attempt = 0; attempt < 5; attempt++) {
    const hit = await Alert.findOneAndUpdate({ _id: input.key, windowStart: { $gt: windowFloor } }, { $inc: { count: 1 }, $set: { lastAt: now } }, { returnDocument: 'after' }).lean();
    if (hit) return { first: false, count: hit.count, windowStart: hit.windowStart };
    try {
      const res = await Alert.updateOne(
        { _id: input.key, windowStart: { $lte: windowFloor } },
        { $set: { kind: input.kind, severity: input.severity, windowStart: now, count: 1, shownCount: 1, lastAt: now, payload, recipients: [], dms: [] } },
        { upsert: true },
      );
      if (res.modifiedCount + res.upsertedCount === 1) return { first: true, count: 1, windowStart: now };
    } catch (err) {
      // Another caller opened the window between our two statements: join it on the next turn.
      if (!isDuplicateKey(err)) throw err;
    }
  }
  throw new Error(`could not claim alert window for ${input.key}`);
}

async function lookupOwner(ctx: AlertCtx, state: State, email: string): Promise<string | null> {
  const key = email.toLowerCase();
  const hit = state.emails.get(key);
  if (hit && Date.now() - hit.at < state.opts.lookupTtlMs) return hit.userId;
  let userId: string | null = null;
  try {
    const res = await ctx.slack.users.lookupByEmail({ email });
    userId = res.user?.id ?? null;
  } catch (err) {
    const code = (err as { data?: { error?: string } }).data?.error;
    if (code !== 'users_not_found') {
      // A transient failure is not cached as "no such user".
      ctx.logger.warn('users.lookupByEmail failed; alerting admins instead', { error: (err as Error).message });
      return null;
    }
  }
  state.emails.set(key, { userId, at: Date.now() });
  return userId;
}

/** The owner's Slack user when the email resolves, otherwise every admin (MongoDB roles + ORCH_ADMINS). */
export async function resolveRecipients(ctx: AlertCtx, ownerEmail?: string): Promise<string[]> {
  if (ownerEmail) {
    const owner = await lookupOwner(ctx, stateFor(ctx), ownerEmail);
    if (owner) return [owner];
  }
  const admins = await ctx.models.User.find({ role: 'admin' }, { slackUserId: 1 }).lean();
  return [...new Set([...admins.map((a) => a.slackUserId), ...ctx.config.ORCH_ADMINS])];
}

function viewOf(ctx: AlertCtx, doc: { kind: string; severity: string; count: number; windowStart: Date; payload?: unknown }) {
  const p = (doc.payload ?? {}) as Omit<AlertInput, 'key' | 'kind' | 'severity'>;
  return buildAlertMessage({ ...p, kind: doc.kind as AlertKind, severity: doc.severity as AlertSeverity, count: doc.count, windowStart: doc.windowStart, windowMs: ctx.config.ORCH_ALERT_DEDUP });
}

async function postDm(ctx: AlertCtx, state: State, userId: string, message: { text: string; blocks: KnownBlock[] }) {
  return state.limiter.schedule(async () => {
    const open = await ctx.slack.conversations.open({ users: userId });
    const channel = open.channel?.id ?? userId;
    const res = await ctx.slack.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
    return { channel: res.channel ?? channel, ts: res.ts as string };
  });
}

/** Edits the window's DMs to show the current count; repeats inside updateDelayMs share one edit. */
function scheduleCountUpdate(ctx: AlertCtx, state: State, key: string): void {
  if (state.timers.has(key)) return;
  const timer = setTimeout(() => {
    state.timers.delete(key);
    const p = refreshDms(ctx, state, key).catch((err) => ctx.logger.warn('could not update alert DM count', { key, error: (err as Error).message }));
    state.posting.add(p);
    void p.finally(() => state.posting.delete(p));
  }, state.opts.updateDelayMs);
  timer.unref();
  state.timers.set(key, timer);
}

async function refreshDms(ctx: AlertCtx, state: State, key: string): Promise<void> {
  const doc = await ctx.models.Alert.findById(key).lean();
  if (!doc || doc.count <= (doc.shownCount ?? 0)) return;
  if (doc.dms.length === 0) {
    // The first DM is still being posted (no recipients recorded yet): look again shortly.
    if ((doc.recipients ?? []).length === 0) scheduleCountUpdate(ctx, state, key);
    return;
  }
  const message = viewOf(ctx, doc);
  for (const dm of doc.dms) {
    await state.limiter.schedule(() => ctx.slack.chat.update({ channel: dm.channel as string, ts: dm.ts as string, text: message.text, blocks: message.blocks }));
  }
  await ctx.models.Alert.updateOne({ _id: key, windowStart: doc.windowStart, shownCount: { $lt: doc.count } }, { $set: { shownCount: doc.count } });
  state.counter.inc({ kind: doc.kind, outcome: 'updated' });
  const again = await ctx.models.Alert.findById(key, { count: 1 }).lean();
  if (again && again.count > doc.count) scheduleCountUpdate(ctx, state, key);
}

/**
 * DMs the responsible person about a problem, at most once per `key` per ORCH_ALERT_DEDUP window;
 * repeats only raise the count shown in that DM. Never throws: an alert must not break its caller.
 */
export async function alert(ctx: AlertCtx, input: AlertInput): Promise<AlertResult> {
  const state = stateFor(ctx);
  const p = send(ctx, state, input);
  state.posting.add(p);
  return p.finally(() => state.posting.delete(p));
}

async function send(ctx: AlertCtx, state: State, input: AlertInput): Promise<AlertResult> {
  try {
    const claim = await claimWindow(ctx, input, new Date());
    if (!claim.first) {
      state.counter.inc({ kind: input.kind, outcome: 'counted' });
      scheduleCountUpdate(ctx, state, input.key);
      return { outcome: 'counted', count: claim.count, recipients: [] };
    }
    const recipients = await resolveRecipients(ctx, input.ownerEmail);
    const message = buildAlertMessage({ ...input, count: 1, windowStart: claim.windowStart, windowMs: ctx.config.ORCH_ALERT_DEDUP });
    const targets = recipients.length > 0 ? recipients : [ctx.config.ORCH_ALERTS_CHANNEL];
    if (recipients.length === 0) ctx.logger.warn('no admin to DM: posting the alert to the alerts channel', { key: input.key });
    const settled = await Promise.allSettled(
      targets.map((t) =>
        recipients.length > 0
          ? postDm(ctx, state, t, message)
          : state.limiter.schedule(async () => {
              const r = await ctx.slack.chat.postMessage({ channel: t, text: message.text, blocks: message.blocks });
              return { channel: r.channel ?? t, ts: r.ts as string };
            }),
      ),
    );
    const dms = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    for (const s of settled) if (s.status === 'rejected') ctx.logger.warn('alert DM not delivered', { key: input.key, error: (s.reason as Error).message });
    await ctx.models.Alert.updateOne({ _id: input.key, windowStart: claim.windowStart }, { $set: { dms, recipients: targets } });
    // Repeats that arrived while we were posting are shown by an edit.
    scheduleCountUpdate(ctx, state, input.key);
    state.counter.inc({ kind: input.kind, outcome: dms.length > 0 ? 'sent' : 'failed' });
    return { outcome: dms.length > 0 ? 'sent' : 'failed', count: 1, recipients: targets };
  } catch (err) {
    state.counter.inc({ kind: input.kind, outcome: 'failed' });
    ctx.logger.error('alert failed', { key: input.key, kind: input.kind, error: (err as Error).message });
    return { outcome: 'failed', count: 0, recipients: [] };
  }
}

/** Waits until pending count edits are done (tests and graceful shutdown). */
export async function flushAlerts(ctx: AlertCtx): Promise<void> {
  const state = states.get(ctx.models);
  if (!state) return;
  // Bounded: a refresh may schedule another one while the first DM is still being posted.
  for (let round = 0; round < 20 && (state.timers.size > 0 || state.posting.size > 0); round++) {
    await Promise.allSettled([...state.posting]);
    const keys = [...state.timers.keys()];
    for (const key of keys) {
      clearTimeout(state.timers.get(key));
      state.timers.delete(key);
      await refreshDms(ctx, state, key).catch(() => undefined);
    }
  }
}
