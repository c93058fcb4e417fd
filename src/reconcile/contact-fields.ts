import { normalizeValue, type Scalar } from './mirror-fields.ts';

/**
 * The Airtable "Contacts" mirror of HubSpot contacts (contact-role-mapping). Like mirror-fields.ts
 * for Accounts: the workflow's write and the after-write check both use these, so they agree.
 */
export const CONTACTS_TABLE = 'Contacts';
export const CONTACT_ID_FIELD = 'HubSpot Id';
/** Link field to the company's row in Accounts. */
export const CONTACT_ACCOUNT_FIELD = 'Account';
export const CONTACT_CHECKLIST_FIELD = 'Checklist';
/** HubSpot contact properties orch writes (custom properties, single-line text). */
export const ROLE_PROPERTY = 'orch_role';
export const SENIORITY_PROPERTY = 'orch_seniority';

/** Fields the after-write reconciliation compares with HubSpot (issue 11: Name, Email, Job Title, Role). */
export const CONTACT_CHECK_FIELDS = ['Name', 'Email', 'Job Title', 'Role'] as const;

/** Contact properties the workflow reads. */
export const CONTACT_PROPERTIES = ['firstname', 'lastname', 'email', 'phone', 'mobilephone', 'jobtitle', 'hubspot_owner_id', 'lifecyclestage', 'associatedcompanyid', ROLE_PROPERTY, SENIORITY_PROPERTY] as const;

export function contactName(p: Record<string, unknown>): string | null {
  const name = [p.firstname, p.lastname].map((v) => (v === null || v === undefined ? '' : String(v).trim())).filter(Boolean).join(' ');
  return name || null;
}

/** HubSpot properties (+ the role decided by the run) → the Contacts fields the workflow sets. */
export function toContactFields(hubspotId: string, p: Record<string, unknown>, role: string, seniority: string): Record<string, Scalar> {
  return {
    [CONTACT_ID_FIELD]: hubspotId,
    Name: contactName(p),
    Email: normalizeValue('string', p.email),
    Phone: normalizeValue('string', p.phone ?? p.mobilephone),
    'Job Title': normalizeValue('string', p.jobtitle),
    Role: role,
    Seniority: seniority,
  };
}

/** What HubSpot says the checked fields should be (Role = the orch_role property written by the run). */
export function contactCheckValues(p: Record<string, unknown>): Record<string, Scalar> {
  return { Name: contactName(p), Email: normalizeValue('string', p.email), 'Job Title': normalizeValue('string', p.jobtitle), Role: normalizeValue('string', p[ROLE_PROPERTY]) };
}

/** The checked fields of a Contacts row, canonical. */
export function contactRowValues(fields: Record<string, unknown>): Record<string, Scalar> {
  return Object.fromEntries(CONTACT_CHECK_FIELDS.map((f) => [f, normalizeValue('string', fields[f])]));
}
