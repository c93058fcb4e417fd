import type { AppProcess } from './app-process.ts';
import type { Fakes } from '../fakes/index.ts';
import { APPROVALS_CHANNEL, approvalIdOf, blocksOf, click, textOf } from './approvals.ts';
import { until } from './ingest.ts';
import { CHOICE_ACTIONS, CHOICE_BLOCK_ID } from '../../blocks/approval-choice.ts';

type Msg = Fakes['slack']['messages'][number];
type Choice = { type: string; action_id: string; options: { value: string }[]; initial_option?: { value: string } };

/** The sheet of one workflow for one object (its header names the workflow; its context the object id). */
export async function waitForWorkflowSheet(fakes: Fakes, workflowId: string, objectId: string, timeoutMs = 20_000): Promise<Msg> {
  const m = await until(
    async () => sheetsOf(fakes, workflowId, objectId)[0],
    timeoutMs,
    `${workflowId} sheet for ${objectId}`,
  );
  return structuredClone(m);
}

export function sheetsOf(fakes: Fakes, workflowId: string, objectId: string): Msg[] {
  return fakes.slack.messagesIn(APPROVALS_CHANNEL).filter((x) => !x.thread_ts && (x.edits[0]?.text ?? x.text ?? '').includes(`Approval needed: ${workflowId}`) && textOf(x).includes(` ${objectId} · trigger`));
}

/** The Approve button's approval id (the sheet has two actions blocks: the picker's and the buttons'). */
export const approvalIdOn = approvalIdOf;

/** The picker element on a sheet (static_select for roles, radio_buttons for slots). */
export function choiceOf(m: Msg): Choice | undefined {
  const block = blocksOf(m).find((b) => b.block_id === CHOICE_BLOCK_ID);
  return block?.elements?.[0] as Choice | undefined;
}

/**
 * A signed Approve click as Slack sends it from a message with a picker: `state.values` holds the
 * picker's current option (the chosen one, or the preselected one when the admin changed nothing).
 */
export function approveWith(app: AppProcess, m: Msg, value: string | null, user = 'UADMIN1') {
  const choice = choiceOf(m);
  const kind = (choice?.type ?? 'static_select') as keyof typeof CHOICE_ACTIONS;
  const selected = value ?? choice?.initial_option?.value;
  const values = choice && selected ? { [CHOICE_BLOCK_ID]: { [CHOICE_ACTIONS[kind]]: { type: kind, selected_option: { value: selected, text: { type: 'plain_text', text: selected } } } } } : {};
  return click(app, m, 'approval_approve', user, { values });
}

/** Picking an option only (Slack sends a block_action for the picker itself): must be acked and change nothing. */
export function pick(app: AppProcess, m: Msg, value: string, user = 'UADMIN1') {
  const choice = choiceOf(m);
  const kind = (choice?.type ?? 'static_select') as keyof typeof CHOICE_ACTIONS;
  return app.slackAction({
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'TORCH' },
    channel: { id: m.channel, name: APPROVALS_CHANNEL },
    message: { type: 'message', ts: m.ts, text: m.text, blocks: m.blocks },
    container: { type: 'message', message_ts: m.ts, channel_id: m.channel, is_ephemeral: false },
    actions: [{ type: kind, action_id: CHOICE_ACTIONS[kind], block_id: CHOICE_BLOCK_ID, selected_option: { value, text: { type: 'plain_text', text: value } }, action_ts: `${Date.now() / 1000}` }],
  });
}
