import type { Models } from '../db/models/index.ts';
import { newId } from '../ids.ts';
import { audit } from '../services/audit.ts';
import { HttpError } from '../http/errors.ts';
import { processUnits, type ProcessDeps, type UnitResult } from './process.ts';
import { objectKeyOf } from './store.ts';

export type ReplayDeps = ProcessDeps & { models: ProcessDeps['models'] & Pick<Models, 'AuditEntry'> };

export interface ReplayOptions {
  /** Where the events come from: an event id or a unit id (for the audit trail). */
  replayOf: string;
  actor: string;
  force: boolean;
}

const IN_FLIGHT = new Set(['received', 'queued']);

/**
 * Replays are processed at once by the caller (no debounce window); a failed enrichment marks the
 * replay unit failed rather than retrying, and the caller sees it in the answer.
 *
 * Re-processes stored events through the same path as live ones, as a new unit claimed by this
 * process. Without force the correlation key keeps it exactly-once (an unchanged object gives the
 * same key: no new run); force appends a suffix to the key and is audited with the actor.
 */
export async function replayEvents(deps: ReplayDeps, eventIds: string[], opts: ReplayOptions): Promise<UnitResult & { replayUnitId: string }> {
  const events = await deps.models.WebhookEvent.collection
    .find({ _id: { $in: eventIds as never[] } }, { projection: { status: 1, objectType: 1, objectId: 1, portalId: 1, subscriptionType: 1, occurredAt: 1, propertyName: 1, propertyValue: 1 } })
    .toArray();
  if (events.length === 0) throw new HttpError(404, 'not_found', `No stored events for ${opts.replayOf}`);
  if (events.some((e) => e.status === 'quarantined')) throw new HttpError(409, 'quarantined', 'Quarantined events are malformed and cannot be processed');
  if (events.some((e) => IN_FLIGHT.has(String(e.status)))) throw new HttpError(409, 'in_flight', 'These events are still waiting to be processed');
  const processable = events.filter((e) => e.status !== 'ignored' || e.objectId);
  const first = processable[0] ?? events[0];
  const objectType = String(first?.objectType);
  const objectId = String(first?.objectId);
  if (events.some((e) => String(e.objectType) !== objectType || String(e.objectId) !== objectId)) {
    throw new HttpError(409, 'mixed_objects', 'A replay covers the events of one object');
  }
  const now = Date.now();
  const unitId = newId('unit');
  await deps.models.WorkUnit.collection.insertOne({
    _id: unitId as never,
    objectKey: objectKeyOf(objectType, objectId),
    objectType,
    objectId,
    status: 'processing',
    attempts: 1,
    replayOf: opts.replayOf,
    ...(opts.force ? { forcedBy: opts.actor } : {}),
    createdAt: new Date(now),
    updatedAt: new Date(now),
  });
  await audit(deps.models, {
    actor: opts.actor,
    action: opts.force ? 'ingest.replay.force' : 'ingest.replay',
    target: opts.replayOf,
    outcome: 'done',
    details: { unitId, eventIds: events.map((e) => String(e._id)) },
  });
  const [result] = await processUnits(deps, [
    {
      _id: unitId,
      objectType,
      objectId,
      portalId: (first?.portalId as number | undefined) ?? null,
      claimedBy: 'replay',
      claimedAt: new Date(now),
      attempts: 1,
      replayOf: opts.replayOf,
      forcedBy: opts.force ? opts.actor : null,
      events: events.map((e) => ({ id: String(e._id), st: String(e.subscriptionType), at: e.occurredAt as Date, pn: e.propertyName as string | undefined, pv: e.propertyValue as string | null | undefined })),
    },
  ]);
  return { ...(result as UnitResult), replayUnitId: unitId };
}
