import type { View } from '@slack/types';
import { mrkdwn, plain } from './limits.ts';

/** `/orch forget contact <id>`: the confirmation modal (admin), with the reason that is audited. */
export const FORGET_MODAL = 'forget_contact_modal';
export const FORGET_REASON_BLOCK = 'forget_reason_block';
export const FORGET_REASON_INPUT = 'forget_reason_input';

export interface ForgetMeta {
  contactId: string;
  channelId?: string;
}

export function buildForgetModal(meta: ForgetMeta): View {
  return {
    type: 'modal',
    callback_id: FORGET_MODAL,
    private_metadata: JSON.stringify(meta),
    title: plain('Forget a contact', 24),
    submit: plain('Forget', 24),
    close: plain('Cancel', 24),
    blocks: [
      {
        type: 'section',
        block_id: 'forget_what',
        text: mrkdwn(
          `:warning: *Forget HubSpot contact ${meta.contactId}?* orch removes its personal data from its own stores: webhook events and raw batches, runs and their checkpoints, approval and exception snapshots (ids, decisions and policy versions stay), the Airtable Contacts row if orch created it, and the lineage. HubSpot itself is not changed. This cannot be undone.`,
        ),
      },
      {
        type: 'input',
        block_id: FORGET_REASON_BLOCK,
        label: plain('Reason (audited)', 75),
        element: { type: 'plain_text_input', action_id: FORGET_REASON_INPUT, multiline: true, max_length: 500, placeholder: plain('e.g. GDPR erasure request #1234', 150) },
      },
    ],
  };
}

export function parseForgetMeta(text: string | undefined): ForgetMeta | null {
  try {
    const m = JSON.parse(text ?? '') as ForgetMeta;
    return typeof m.contactId === 'string' && /^\d{1,20}$/.test(m.contactId) ? m : null;
  } catch {
    return null;
  }
}
