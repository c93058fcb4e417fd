import type { Models } from '../db/models/index.ts';
import type { AirtableAdapter } from '../integrations/airtable.ts';
import type { HubSpotAdapter } from '../integrations/hubspot.ts';
import type { Logger } from '../logger.ts';
import { newId } from '../ids.ts';
import { addMirrorRows, compareAll, compareCompanies, createMirrorIndex, finishComparison, type MirrorIndex } from './compare.ts';
import { closeStale, detectedFromFinding, recordDetections, type ExceptionView } from './exceptions.ts';
import { AIRTABLE_FIELDS, HUBSPOT_PROPERTIES, MIRROR_ID_FIELD, MIRROR_TABLE, mirrorFieldNames } from './mirror-fields.ts';
import { FINDING_TYPES, type Finding, type FindingType } from './types.ts';

/**
 * One reconciliation pass: index the Airtable mirror page by page (mirrored fields only), stream
 * HubSpot companies page by page through the comparison, verify orphan candidates with one batch
 * read per 100, record exceptions as they are found, and close what no longer reproduces.
 * Rate limits and 429 backoff live in the adapters; this only counts the calls it makes.
 */
export interface ReconcileDeps {
  hubspot: Pick<HubSpotAdapter, 'listObjects' | 'batchRead' | 'getObject'>;
  airtable: Pick<AirtableAdapter, 'listPages' | 'findByField'>;
  models: Pick<Models, 'Exception' | 'ReconcileReport'>;
  logger: Logger;
  signal?: AbortSignal;
}

export type ReconcileTrigger = 'nightly' | 'manual' | 'api' | 'after-write' | 'bench';

export interface RunOptions {
  trigger: ReconcileTrigger;
  actor?: string;
  pageSize?: number;
  instance?: string;
}

export interface ReconcileOutcome {
  reportId: string;
  status: 'completed' | 'failed' | 'aborted';
  /** Exceptions first detected by this run (cards and auto-repair work on these). */
  opened: ExceptionView[];
  findingsByType: Record<string, number>;
}

class Tally {
  findings: Record<string, number> = Object.fromEntries(FINDING_TYPES.map((t) => [t, 0]));
  opened: ExceptionView[] = [];
  updated = 0;
  apiCalls = { hubspot: 0, airtable: 0 };
}

export async function runFullReconciliation(deps: ReconcileDeps, opts: RunOptions): Promise<ReconcileOutcome> {
  const startedAt = new Date();
  const reportId = newId('rec');
  await deps.models.ReconcileReport.create({ _id: reportId, trigger: opts.trigger, actor: opts.actor, status: 'running', startedAt, scope: { kind: 'full' }, instance: opts.instance });
  const tally = new Tally();
  const index = createMirrorIndex();
  let status: ReconcileOutcome['status'] = 'completed';
  const errors: string[] = [];
  let closed = 0;
  try {
    await indexMirror(deps, index, tally, opts.pageSize ?? 100);
    await streamCompanies(deps, index, tally, opts.pageSize ?? 100, reportId);
    const rest = await verifyOrphans(deps, finishComparison(index), tally);
    await record(deps, rest, tally, reportId);
    // Only a complete pass may say "no longer reproduces".
    // Company-side objects only: Contacts findings (objectType 'contact') have their own pass (jobs/reconcile-contacts.ts).
    for (const objectType of ['company', 'mirror_row', 'domain']) {
      closed += await closeStale(deps.models, { types: FINDING_TYPES, before: startedAt, objectType, note: `no longer reproduces (reconciliation ${reportId})` });
    }
  } catch (err) {
    status = deps.signal?.aborted ? 'aborted' : 'failed';
    errors.push((err as Error).message);
    if (status === 'aborted') deps.logger.warn('reconciliation aborted: shutting down', { reportId });
    else deps.logger.error('reconciliation failed', { reportId, error: (err as Error).message });
  }
  await finishReport(deps, reportId, startedAt, status, tally, errors, closed, { hubspot: index.companies, mirror: index.rows });
  return { reportId, status, opened: tally.opened, findingsByType: tally.findings };
}

async function indexMirror(deps: ReconcileDeps, index: MirrorIndex, tally: Tally, pageSize: number): Promise<void> {
  for await (const page of deps.airtable.listPages(MIRROR_TABLE, { pageSize, fields: [...AIRTABLE_FIELDS] })) {
    tally.apiCalls.airtable++;
    addMirrorRows(index, page);
    deps.signal?.throwIfAborted();
  }
}

async function streamCompanies(deps: ReconcileDeps, index: MirrorIndex, tally: Tally, pageSize: number, reportId: string): Promise<void> {
  let after: string | undefined;
  // Findings are written in batches (bounded buffer): one round trip per batch, not per finding.
  let pending: Finding[] = [];
  do {
    deps.signal?.throwIfAborted();
    const page = await deps.hubspot.listObjects('companies', { limit: pageSize, properties: [...HUBSPOT_PROPERTIES], ...(after ? { after } : {}) });
    tally.apiCalls.hubspot++;
    pending.push(...compareCompanies(index, page.results));
    if (pending.length >= FLUSH_AT) {
      await record(deps, pending, tally, reportId);
      pending = [];
    }
    after = page.after;
  } while (after);
  await record(deps, pending, tally, reportId);
}

const FLUSH_AT = 200;

/**
 * A row whose company the listing did not return may still exist (created while we paged):
 * one batch read per 100 candidates drops those, so only real orphans become exceptions.
 */
async function verifyOrphans(deps: ReconcileDeps, findings: Finding[], tally: Tally): Promise<Finding[]> {
  const candidates = findings.filter((f) => f.type === 'orphan_in_mirror' && f.reason === 'not_in_hubspot').map((f) => f.objectId);
  if (candidates.length === 0) return findings;
  tally.apiCalls.hubspot += Math.ceil(candidates.length / 100);
  const found = await deps.hubspot.batchRead('companies', candidates, ['hs_object_id']);
  return findings.filter((f) => !(f.type === 'orphan_in_mirror' && f.reason === 'not_in_hubspot' && found.has(f.objectId)));
}

async function record(deps: ReconcileDeps, findings: Finding[], tally: Tally, reportId: string): Promise<void> {
  for (const f of findings) tally.findings[f.type] = (tally.findings[f.type] ?? 0) + 1;
  const { opened, updated } = await recordDetections(deps.models, findings.map((f) => detectedFromFinding(f, reportId)));
  tally.opened.push(...opened);
  tally.updated += updated;
}

async function finishReport(
  deps: ReconcileDeps,
  reportId: string,
  startedAt: Date,
  status: string,
  tally: Tally,
  errors: string[],
  closed: number,
  objectsCompared: { hubspot: number; mirror: number },
): Promise<void> {
  const finishedAt = new Date();
  await deps.models.ReconcileReport.updateOne(
    { _id: reportId },
    {
      $set: {
        status,
        finishedAt,
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        objectsCompared,
        findingsByType: tally.findings,
        exceptions: { opened: tally.opened.length, updated: tally.updated, closed },
        apiCalls: tally.apiCalls,
        errors,
      },
    },
  );
}

export interface ScopedOptions {
  hubspotId: string;
  /** Airtable field names or HubSpot property names that were written; empty = all mirrored. */
  fields?: readonly string[];
  trigger?: ReconcileTrigger;
}

/** After-write check: one company, only the written fields; closes what it proves fixed. */
export async function runScopedReconciliation(deps: ReconcileDeps, opts: ScopedOptions): Promise<ReconcileOutcome> {
  const startedAt = new Date();
  const reportId = newId('rec');
  const fields = opts.fields && opts.fields.length > 0 ? mirrorFieldNames(opts.fields) : undefined;
  await deps.models.ReconcileReport.create({ _id: reportId, trigger: opts.trigger ?? 'after-write', status: 'running', startedAt, scope: { kind: 'company', hubspotId: opts.hubspotId, fields } });
  const tally = new Tally();
  const errors: string[] = [];
  let status: ReconcileOutcome['status'] = 'completed';
  let closed = 0;
  let mirrorRows = 0;
  try {
    const company = await deps.hubspot.getObject('companies', opts.hubspotId, [...HUBSPOT_PROPERTIES]);
    const rows = await deps.airtable.findByField(MIRROR_TABLE, MIRROR_ID_FIELD, opts.hubspotId);
    tally.apiCalls = { hubspot: 1, airtable: 1 };
    mirrorRows = rows.length;
    const findings = compareAll(company ? [company] : [], rows, fields ? { fields } : {}).filter((f) => f.objectType === 'company' && f.objectId === opts.hubspotId);
    await record(deps, findings, tally, reportId);
    closed = await closeScoped(deps, opts.hubspotId, fields, startedAt, reportId);
  } catch (err) {
    status = 'failed';
    errors.push((err as Error).message);
    deps.logger.warn('after-write reconciliation failed', { hubspotId: opts.hubspotId, error: (err as Error).message });
  }
  await finishReport(deps, reportId, startedAt, status, tally, errors, closed, { hubspot: 1, mirror: mirrorRows });
  return { reportId, status, opened: tally.opened, findingsByType: tally.findings };
}

/** A partial check closes drift only when it looked at every field the drift was about. */
async function closeScoped(deps: ReconcileDeps, hubspotId: string, fields: string[] | undefined, before: Date, reportId: string): Promise<number> {
  const note = `no longer reproduces (after-write check ${reportId})`;
  const whole: FindingType[] = ['missing_in_mirror', 'orphan_in_mirror', 'duplicate_mirror'];
  let closed = await closeStale(deps.models, { types: whole, before, objectType: 'company', objectIds: [hubspotId], note });
  const drift = (await deps.models.Exception.findOne({ type: 'field_drift', objectType: 'company', objectId: hubspotId, status: { $in: ['open', 'ignored'] }, lastSeenAt: { $lt: before } }).lean()) as ExceptionView | null;
  if (drift && (!fields || drift.diff.every((d) => fields.includes(d.field)))) {
    closed += await closeStale(deps.models, { types: ['field_drift'], before, objectType: 'company', objectIds: [hubspotId], note });
  }
  return closed;
}
