import { CONTACT_ACCOUNT_FIELD, CONTACT_CHECKLIST_FIELD, CONTACT_ID_FIELD, CONTACTS_TABLE, ROLE_PROPERTY, SENIORITY_PROPERTY } from '../reconcile/contact-fields.ts';
import { MIRROR_FIELDS, MIRROR_TABLE } from '../reconcile/mirror-fields.ts';

/**
 * What orch expects to exist in the customer's HubSpot portal and Airtable base, named by the
 * same constants the workflows write with. `npm run setup` checks these and, with --apply,
 * creates what is missing.
 */

export interface HubSpotPropertySpec {
  /** CRM object type as the properties API names it. */
  objectType: 'companies' | 'contacts' | 'deals';
  name: string;
  label: string;
  description: string;
  groupName: string;
  /** Single-line text: orch writes plain values and never relies on a fixed option list. */
  type: 'string';
  fieldType: 'text';
}

const text = (objectType: HubSpotPropertySpec['objectType'], name: string, label: string, description: string): HubSpotPropertySpec => ({
  objectType,
  name,
  label,
  description,
  groupName: objectType === 'deals' ? 'dealinformation' : objectType === 'contacts' ? 'contactinformation' : 'companyinformation',
  type: 'string',
  fieldType: 'text',
});

export const HUBSPOT_PROPERTIES: readonly HubSpotPropertySpec[] = [
  text('deals', 'orch_procurement_status', 'orch procurement status', 'Set by orch procurement-approval: approved or rejected'),
  text('contacts', ROLE_PROPERTY, 'orch role', 'Set by orch contact-role-mapping: the contact\'s role (e.g. economic_buyer, champion)'),
  text('contacts', SENIORITY_PROPERTY, 'orch seniority', 'Set by orch contact-role-mapping: the contact\'s seniority'),
];

/** Airtable field types orch uses, with the options the metadata API requires for each. */
export type AirtableFieldSpec =
  | { name: string; type: 'singleLineText' | 'multilineText' | 'email' | 'phoneNumber' | 'url' }
  | { name: string; type: 'number'; options: { precision: number } }
  | { name: string; type: 'dateTime'; options: { dateFormat: { name: 'iso' }; timeFormat: { name: '24hour' }; timeZone: 'utc' } }
  | { name: string; type: 'multipleRecordLinks'; linkTo: string };

export interface AirtableTableSpec {
  name: string;
  description: string;
  /** The first field is the table's primary field. */
  fields: readonly AirtableFieldSpec[];
}

const line = (name: string): AirtableFieldSpec => ({ name, type: 'singleLineText' });
const num = (name: string): AirtableFieldSpec => ({ name, type: 'number', options: { precision: 0 } });

/** Accounts first: the others link to it, so it is created before them. */
export const AIRTABLE_TABLES: readonly AirtableTableSpec[] = [
  {
    name: MIRROR_TABLE,
    description: 'orch mirror of HubSpot companies (company-intake, reconciliation)',
    fields: [
      line('Name'),
      ...MIRROR_FIELDS.filter((f) => f.field !== 'Name').map((f) => (f.kind === 'number' ? num(f.field) : line(f.field))),
      { name: 'SOP', type: 'url' },
    ],
  },
  {
    name: 'Procurement',
    description: 'orch procurement approvals (procurement-approval)',
    fields: [line('Deal Id'), line('Name'), num('Amount'), line('Stage'), line('Owner'), line('Status'), line('Approved By')],
  },
  {
    name: CONTACTS_TABLE,
    description: 'orch mirror of HubSpot contacts with their roles (contact-role-mapping)',
    fields: [
      line('Name'),
      { name: 'Email', type: 'email' },
      { name: 'Phone', type: 'phoneNumber' },
      line('Job Title'),
      line('Role'),
      line('Seniority'),
      { name: CONTACT_ACCOUNT_FIELD, type: 'multipleRecordLinks', linkTo: MIRROR_TABLE },
      { name: CONTACT_CHECKLIST_FIELD, type: 'multilineText' },
      line(CONTACT_ID_FIELD),
    ],
  },
  {
    name: 'Kickoffs',
    description: 'orch kickoff meetings booked on closed-won deals (deal-stage-kickoff)',
    fields: [
      line('Deal Id'),
      line('Deal'),
      { name: 'Account', type: 'multipleRecordLinks', linkTo: MIRROR_TABLE },
      { name: 'Slot', type: 'dateTime', options: { dateFormat: { name: 'iso' }, timeFormat: { name: '24hour' }, timeZone: 'utc' } },
      line('Event'),
      { name: 'Notion', type: 'url' },
      line('Status'),
    ],
  },
];
