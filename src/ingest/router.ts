import type { Models } from '../db/models/index.ts';
import type { EventBus } from '../events.ts';
import { newId } from '../ids.ts';
import type { TriggerMatch } from '../../workflows/triggers.ts';
import type { Envelope } from './enrich.ts';
import { lastModified } from './enrich.ts';
import type { IngestMetrics } from './metrics.ts';
import type { Logger } from '../logger.ts';

export interface RunOutcome {
  workflowId: string;
  runId: string;
  correlationKey: string;
  created: boolean;
}

/** `objectType:objectId:updatedAt:workflowId` (invariant 2); updatedAt falls back to the burst's last event time. */
export function correlationKey(env: Envelope, workflowId: string): string {
  const raw = lastModified(env.meta.objectType, env.payload.properties);
  const ms = raw === null ? NaN : /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  const updatedAt = Number.isFinite(ms) ? String(ms) : String(Date.parse(env.meta.occurredTo));
  return `${env.meta.objectType}:${env.meta.objectId}:${updatedAt}:${workflowId}`;
}

export interface CreateRunsDeps {
  models: Pick<Models, 'Run'>;
  events: EventBus;
  metrics: IngestMetrics;
  logger: Pick<Logger, 'info'>;
  /** The mode in force when the run is created (runtime setting, see src/services/settings.ts). */
  mode: () => Promise<'dry-run' | 'live'>;
}

/**
 * One PENDING run per matched workflow. The unique correlation key makes this exactly-once: a
 * duplicate (re-delivery, replay, a unit retaken after a crash) creates nothing. A forced replay
 * gets its own key suffix, so it is a new run on purpose.
 */
export async function createRuns(deps: CreateRunsDeps, unitId: string, env: Envelope, matches: TriggerMatch[], forced?: { by: string }): Promise<RunOutcome[]> {
  const out: RunOutcome[] = [];
  const mode = matches.length ? await deps.mode() : 'dry-run';
  for (const m of matches) {
    const key = correlationKey(env, m.workflowId) + (forced ? `:forced:${unitId}` : '');
    const runId = newId('run');
    const doc = {
      _id: runId,
      workflowId: m.workflowId,
      status: 'PENDING' as const,
      objectType: env.meta.objectType,
      objectId: env.meta.objectId,
      correlationKey: key,
      trigger: { subscriptionTypes: env.meta.subscriptionTypes, eventIds: env.meta.eventIds, unitId, reason: `${m.trigger}: ${m.reason}` },
      envelope: env,
      mode,
      ...(forced ? { forcedBy: forced.by } : {}),
    };
    try {
      await deps.models.Run.create(doc);
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      deps.metrics.runsDuplicate.inc();
      const existing = await deps.models.Run.findOne({ correlationKey: key }, { _id: 1 }).lean();
      out.push({ workflowId: m.workflowId, runId: String(existing?._id ?? ''), correlationKey: key, created: false });
      continue;
    }
    deps.metrics.runsCreated.inc({ workflowId: m.workflowId });
    deps.logger.info('run created', { runId, correlationId: env.meta.correlationId, workflowId: m.workflowId, objectType: env.meta.objectType, objectId: env.meta.objectId, mode });
    out.push({ workflowId: m.workflowId, runId, correlationKey: key, created: true });
    deps.events.emit('run.created', runId, { _id: runId, status: 'PENDING', attempts: 0, mode });
  }
  return out;
}
