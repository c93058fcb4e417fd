import type { Scalar } from './mirror-fields.ts';

export const FINDING_TYPES = ['missing_in_mirror', 'orphan_in_mirror', 'field_drift', 'duplicate_mirror'] as const;
export type FindingType = (typeof FINDING_TYPES)[number];
/** Every exception type: the four comparison findings plus failed runs that exhausted retries. */
export const EXCEPTION_TYPES = [...FINDING_TYPES, 'integration_error'] as const;
export type ExceptionType = (typeof EXCEPTION_TYPES)[number];
export type Severity = 'low' | 'medium' | 'high';

/** A HubSpot company as the adapter returns it (every property a string or null). */
export interface HubSpotCompany {
  id: string;
  properties: Record<string, unknown>;
}

/** An Airtable record as the adapter returns it. */
export interface MirrorRow {
  id: string;
  fields: Record<string, unknown>;
}

export interface FieldDiff {
  field: string;
  hubspot: Scalar;
  mirror: Scalar;
}

export type OrphanReason = 'no_hubspot_id' | 'not_in_hubspot' | 'deleted' | 'merged';

/** One discrepancy; `objectType:objectId` + type is its identity (one open exception each). */
export interface Finding {
  type: FindingType;
  severity: Severity;
  /** 'company' = keyed by HubSpot id, 'mirror_row' = an Airtable record id, 'domain' = a domain. */
  objectType: 'company' | 'mirror_row' | 'domain';
  objectId: string;
  title: string;
  diff: FieldDiff[];
  /** HubSpot's canonical values of the mirrored fields when the company exists. */
  hubspot?: Record<string, Scalar>;
  /** Mirror rows involved, canonical values; for duplicates the first one is kept. */
  mirror?: { recordId: string; fields: Record<string, Scalar> }[];
  reason?: OrphanReason;
  mergedInto?: string;
}

/** One external write a fix performs; Preview shows exactly these. */
export interface PlannedWrite {
  system: 'airtable';
  op: 'upsert' | 'update' | 'delete';
  table: string;
  recordId?: string;
  mergeOn?: string;
  fields?: Record<string, Scalar>;
}

export interface ProposedFix {
  kind: 'create_mirror_row' | 'update_mirror_fields' | 'delete_mirror_rows' | 'manual' | 'retry_run';
  summary: string;
  writes: PlannedWrite[];
}
