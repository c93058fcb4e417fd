import { WebClient, type Block, type KnownBlock } from '@slack/web-api';
import type { AppContext } from '../src/context.ts';
import { newId } from '../src/ids.ts';
import { WorkflowError } from './errors.ts';
import { slackError } from './slack-errors.ts';

/**
 * One message per approval (issue 14 defect 7). The sheet post is claimed on the Approval before it
 * is sent (`slack.postingUntil`), carries the approval id in its message `metadata`, and every
 * attempt after the first looks in the channel's history for the message an earlier attempt may
 * have posted (a 200 whose answer was lost, a crash before the ts was stored) before posting again.
 * It goes through a Slack client that never retries on its own: a blind retry is what duplicated sheets.
 */
export const SHEET_EVENT = 'orch_approval_sheet';
/** How long one attempt owns the post; a claim older than this belongs to an attempt that died. */
export const POST_CLAIM_MS = 30_000;
const HISTORY_LIMIT = 200;

type SheetCtx = Pick<AppContext, 'models' | 'config' | 'logger'>;

export interface SheetMessage {
  text: string;
  blocks: (KnownBlock | Block)[];
}

const clients = new WeakMap<object, WebClient>();
/** Channel names resolved to ids by earlier posts (conversations.history needs the id). */
const channelIds = new Map<string, string>();

function noRetryClient(ctx: SheetCtx): WebClient {
  let c = clients.get(ctx.config);
  if (!c) {
    c = new WebClient(ctx.config.SLACK_BOT_TOKEN, { slackApiUrl: ctx.config.SLACK_API_URL, retryConfig: { retries: 0 }, timeout: 15_000 });
    clients.set(ctx.config, c);
  }
  return c;
}

interface PostState {
  channel?: string | null;
  ts?: string | null;
  attempts?: number;
}

/** A post claim to store with a new Approval (its `slack` field), so creating it also claims the first post. */
export function newPostClaim(now = new Date()): { token: string; slack: { postingBy: string; postingUntil: Date; attempts: number } } {
  const token = newId('post');
  return { token, slack: { postingBy: token, postingUntil: new Date(now.getTime() + POST_CLAIM_MS), attempts: 1 } };
}

/**
 * Posts the approval's sheet unless it is out already; returns where it is. `heldClaim`: the token of
 * the claim stored when this caller created the Approval (newPostClaim), the first attempt by definition.
 */
export async function postSheetOnce(ctx: SheetCtx, approvalId: string, msg: SheetMessage, heldClaim?: string): Promise<{ channel: string; ts: string }> {
  const { Approval } = ctx.models;
  const token = heldClaim ?? newId('post');
  const now = new Date();
  const claimed = heldClaim
    ? { slack: { attempts: 1 } }
    : ((await Approval.findOneAndUpdate(
        { _id: approvalId, 'slack.ts': { $in: [null, ''] }, $or: [{ 'slack.postingUntil': { $exists: false } }, { 'slack.postingUntil': { $lt: now } }] },
        { $set: { 'slack.postingUntil': new Date(now.getTime() + POST_CLAIM_MS), 'slack.postingBy': token }, $inc: { 'slack.attempts': 1 } },
        { returnDocument: 'after', lean: true },
      )) as { slack?: PostState } | null);
  if (!claimed) return waitForOther(ctx, approvalId);
  const client = noRetryClient(ctx);
  const wanted = ctx.config.ORCH_APPROVALS_CHANNEL;
  const channel = channelIds.get(wanted) ?? wanted;
  try {
    // Not the first attempt: an earlier one may have posted without us learning the ts.
    const found = (claimed.slack?.attempts ?? 1) > 1 ? await findPosted(ctx, client, channel, approvalId) : null;
    const where = found ?? (await post(client, channel, approvalId, msg));
    channelIds.set(wanted, where.channel);
    await Approval.updateOne({ _id: approvalId, 'slack.postingBy': token }, { $set: { 'slack.channel': where.channel, 'slack.ts': where.ts }, $unset: { 'slack.postingUntil': 1, 'slack.postingBy': 1 } });
    if (found) ctx.logger.info('approval sheet found already posted; not posting it again', { approvalId, ts: found.ts });
    return where;
  } catch (err) {
    await Approval.updateOne({ _id: approvalId, 'slack.postingBy': token }, { $unset: { 'slack.postingUntil': 1, 'slack.postingBy': 1 } });
    throw slackError(err, 'posting the approval sheet');
  }
}

async function post(client: WebClient, channel: string, approvalId: string, msg: SheetMessage): Promise<{ channel: string; ts: string }> {
  const res = await client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks, unfurl_links: false, metadata: { event_type: SHEET_EVENT, event_payload: { approval_id: approvalId } } });
  if (!res.channel || !res.ts) throw new WorkflowError('transient', 'Slack answered chat.postMessage without channel and ts');
  return { channel: res.channel, ts: res.ts };
}

/** The sheet an earlier attempt posted, by the approval id in its metadata (recent messages only). */
async function findPosted(ctx: SheetCtx, client: WebClient, channel: string, approvalId: string): Promise<{ channel: string; ts: string } | null> {
  try {
    const res = await client.conversations.history({ channel, limit: HISTORY_LIMIT, include_all_metadata: true });
    const hit = (res.messages ?? []).find((m) => {
      const meta = (m as { metadata?: { event_type?: string; event_payload?: { approval_id?: string } } }).metadata;
      return meta?.event_type === SHEET_EVENT && meta.event_payload?.approval_id === approvalId;
    });
    return hit?.ts ? { channel: /^[CG]/.test(channel) ? channel : ((res as { channel?: string }).channel ?? channel), ts: hit.ts } : null;
  } catch (err) {
    // Without the lookup (e.g. ORCH_APPROVALS_CHANNEL is a name Slack wants as an id) we post again.
    ctx.logger.warn('could not look for an earlier approval sheet; posting again', { approvalId, channel, error: (err as Error).message });
    return null;
  }
}

/** Another attempt holds the claim: wait for its ts (bounded), else let the step retry. */
async function waitForOther(ctx: SheetCtx, approvalId: string): Promise<{ channel: string; ts: string }> {
  const deadline = Date.now() + POST_CLAIM_MS;
  while (Date.now() < deadline) {
    const a = (await ctx.models.Approval.findById(approvalId, { slack: 1 }).lean()) as { slack?: PostState } | null;
    if (a?.slack?.ts && a.slack.channel) return { channel: a.slack.channel, ts: a.slack.ts };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new WorkflowError('transient', `approval ${approvalId}: another attempt is still posting the sheet`);
}
