import type { HubSpotAdapter, HubSpotObject } from '../integrations/hubspot.ts';
import type { TriggerTable } from '../../workflows/triggers.ts';
import { propertiesFor } from '../../workflows/triggers.ts';
import type { IngestMetrics } from './metrics.ts';

/** The HubSpot API names object types in the plural. */
export const API_TYPE: Record<string, string> = { company: 'companies', contact: 'contacts', deal: 'deals' };

/** The fields of a stored event that processing reads. */
export interface UnitEvent {
  _id: string;
  subscriptionType: string;
  occurredAt: Date;
  receivedAt: Date;
  portalId?: number;
  propertyName?: string | null;
  propertyValue?: string | null;
}

export interface Envelope {
  meta: {
    eventIds: string[];
    source: 'hubspot';
    objectType: string;
    objectId: string;
    occurredFrom: string;
    occurredTo: string;
    receivedAt: string;
    correlationId: string;
    portalId: number | null;
    subscriptionTypes: string[];
    changedProperties: string[];
  };
  payload: { properties: Record<string, string | null>; associations: Record<string, string[]>; previous?: Record<string, string | null> };
}

/** Unit → envelope (the ingest → workflows hand-off contract); events must be in occurredAt order. */
export function buildEnvelope(
  unit: { _id: string; objectType: string; objectId: string },
  events: UnitEvent[],
  object: Pick<HubSpotObject, 'properties' | 'associations'>,
  previous?: Record<string, string | null>,
): Envelope {
  const first = events[0];
  const last = events.at(-1);
  const received = events.reduce((a, e) => (e.receivedAt < a ? e.receivedAt : a), first?.receivedAt ?? new Date());
  return {
    meta: {
      eventIds: events.map((e) => e._id),
      source: 'hubspot',
      objectType: unit.objectType,
      objectId: unit.objectId,
      occurredFrom: (first?.occurredAt ?? received).toISOString(),
      occurredTo: (last?.occurredAt ?? received).toISOString(),
      receivedAt: received.toISOString(),
      correlationId: unit._id,
      portalId: first?.portalId ?? null,
      subscriptionTypes: [...new Set(events.map((e) => e.subscriptionType))],
      changedProperties: [...new Set(events.map((e) => e.propertyName).filter((p): p is string => Boolean(p)))],
    },
    payload: { properties: { ...object.properties }, associations: object.associations ?? {}, ...(previous && Object.keys(previous).length ? { previous } : {}) },
  };
}

export interface Fetched {
  objects: Map<string, HubSpotObject>;
  /** Objects whose own reads failed (after the adapter's retries): only these units retry or fail. */
  failed: Map<string, unknown>;
}

/**
 * Current state of every object of one type in one batch read (100 per call), then the configured
 * associations per found object. Missing ids are absent (deleted objects). A failed batch read
 * propagates (it concerns every object); a failed association read fails only its own object, so
 * one bad object does not hold back the others (the adapter already retried with backoff).
 */
export async function fetchObjects(hubspot: Pick<HubSpotAdapter, 'batchRead' | 'getAssociations'>, table: TriggerTable, objectType: string, ids: string[], metrics: IngestMetrics): Promise<Fetched> {
  const apiType = API_TYPE[objectType] ?? objectType;
  let found: Map<string, HubSpotObject>;
  try {
    found = await hubspot.batchRead(apiType, ids, propertiesFor(table, objectType));
    metrics.enrichCalls.inc({ objectType, outcome: 'ok' });
  } catch (err) {
    metrics.enrichCalls.inc({ objectType, outcome: 'error' });
    throw err;
  }
  const assocTypes = table.fetch[objectType]?.associations ?? [];
  const failed = new Map<string, unknown>();
  for (const obj of found.values()) {
    try {
      const associations: Record<string, string[]> = { ...obj.associations };
      for (const to of assocTypes) {
        associations[to] = await hubspot.getAssociations(apiType, obj.id, to);
        metrics.enrichCalls.inc({ objectType, outcome: 'ok' });
      }
      obj.associations = associations;
    } catch (err) {
      metrics.enrichCalls.inc({ objectType, outcome: 'error' });
      failed.set(obj.id, err);
    }
  }
  for (const id of failed.keys()) found.delete(id);
  return { objects: found, failed };
}

/** HubSpot's last-modified property differs by object type; it is part of the correlation key. */
export function lastModified(objectType: string, props: Record<string, string | null | undefined>): string | null {
  const v = objectType === 'contact' ? (props.lastmodifieddate ?? props.hs_lastmodifieddate) : (props.hs_lastmodifieddate ?? props.lastmodifieddate);
  return v ?? null;
}
