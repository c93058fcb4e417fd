import type { AppProcess } from './app-process.ts';
import type { Fakes } from '../fakes/index.ts';
import { creation } from './ingest.ts';
import { until } from './ingest.ts';

export const APPROVALS_CHANNEL = 'orch-approvals';

type Msg = Fakes['slack']['messages'][number];
type Block = { type: string; block_id?: string; text?: { text?: string }; elements?: { action_id?: string; value?: string; text?: unknown }[]; fields?: { text: string }[] };

/** A company in the HubSpot fake plus the signed creation webhook for it. */
export async function companyWebhook(app: AppProcess, fakes: Fakes, id: string, properties: Record<string, string | null>) {
  fakes.hubspot.put('companies', { id, properties });
  const res = await app.postHubSpot([creation('company', id)]);
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(res.body)}`);
}

export async function dealWebhook(app: AppProcess, fakes: Fakes, id: string, properties: Record<string, string | null>) {
  fakes.hubspot.put('deals', { id, properties });
  const res = await app.postHubSpot([creation('deal', id)]);
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(res.body)}`);
}

export function blocksOf(m: Msg): Block[] {
  return (m.blocks ?? []) as Block[];
}

export function textOf(m: Msg): string {
  return JSON.stringify(m.blocks ?? []) + (m.text ?? '');
}

/** The approval sheet (top-level message in the approvals channel) whose text contains `needle`. */
/** A snapshot (the fake's message object is edited in place by chat.update). */
export async function waitForSheet(fakes: Fakes, needle: string, timeoutMs = 20_000): Promise<Msg> {
  const m = await until(async () => fakes.slack.messagesIn(APPROVALS_CHANNEL).find((x) => !x.thread_ts && textOf(x).includes(needle)), timeoutMs, `approval sheet for ${needle}`);
  return structuredClone(m);
}

export function approvalIdOf(m: Msg): string {
  const id = blocksOf(m).flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'approval_approve')?.value;
  if (!id) throw new Error('sheet has no approve button');
  return id;
}

/** A signed block_actions click on one of the sheet's buttons (`state`: the inputs' values Slack sends along). */
export function click(app: AppProcess, m: Msg, actionId: string, user = 'UADMIN1', state?: { values: Record<string, unknown> }) {
  const approvalId = approvalIdOf(m);
  return app.slackAction({
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'TORCH' },
    channel: { id: m.channel, name: APPROVALS_CHANNEL },
    message: { type: 'message', ts: m.ts, text: m.text, blocks: m.blocks },
    container: { type: 'message', message_ts: m.ts, channel_id: m.channel, is_ephemeral: false },
    ...(state ? { state } : {}),
    actions: [{ type: 'button', action_id: actionId, block_id: 'approval_actions', value: approvalId, action_ts: `${Date.now() / 1000}` }],
  });
}

/** A signed view_submission of the reject modal. */
export function submitReject(app: AppProcess, meta: { approvalId: string; channel?: string; ts?: string }, reason: string, user = 'UADMIN1') {
  return app.slackAction({
    type: 'view_submission',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'TORCH' },
    view: {
      id: 'VREJECT1',
      team_id: 'TORCH',
      type: 'modal',
      callback_id: 'approval_reject_modal',
      private_metadata: JSON.stringify(meta),
      hash: 'h1',
      state: { values: { reject_reason_block: { reject_reason_input: { type: 'plain_text_input', value: reason } } } },
      blocks: [],
      app_id: 'AORCH',
      bot_id: 'BORCHBOT',
    },
  });
}

export function decidedBannerOf(fakes: Fakes, m: Msg): string | undefined {
  const current = fakes.slack.message(m.channel, m.ts);
  if (!current || blocksOf(current).some((b) => b.type === 'actions')) return undefined;
  return textOf(current);
}
