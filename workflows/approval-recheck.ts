import { escapeMrkdwn } from '../blocks/limits.ts';
import { lastModified } from '../src/ingest/enrich.ts';
import { newId } from '../src/ids.ts';
import { audit } from '../src/services/audit.ts';
import { hubspotType } from './common-nodes.ts';
import { RunCancelledError, WorkflowError } from './errors.ts';
import type { ResumeDecision, RunStateValue, WorkflowDeps } from './types.ts';

/**
 * On resume after Approve (issue 14 defect 1): the run re-reads the object and checks that what the
 * approver saw (the properties the sheet was built from, hs_lastmodifieddate among them) still
 * holds. If not, nothing is written: a fresh run on the current data asks again with a new sheet
 * that says why, the old sheet's thread says so, and this run ends CANCELLED.
 */
export interface AskedAgain {
  approvalId: string;
  runId: string;
  why: string;
}

const norm = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const show = (v: unknown) => (norm(v) === '' ? '(empty)' : norm(v));

/** Property → [seen, now] for every property of the sheet's snapshot that changed since. */
export function changesSince(seen: Record<string, unknown>, now: Record<string, unknown>): [string, unknown, unknown][] {
  return Object.keys(seen)
    .filter((k) => k !== 'hs_object_id' && norm(seen[k]) !== norm(now[k]))
    .map((k) => [k, seen[k], now[k]]);
}

export async function confirmStillAsSeen(deps: WorkflowDeps, state: RunStateValue, approval: { _id: string; slack?: { channel?: string | null; ts?: string | null } | null }, decision: ResumeDecision): Promise<void> {
  if (decision.decision !== 'approve' || !state.raw) return;
  const { objectType, objectId } = state.envelope.meta;
  const keys = Object.keys(state.raw).filter((k) => k !== 'hs_object_id');
  const fresh = await deps.integrations.hubspot.getObject(hubspotType(objectType), objectId, keys);
  if (!fresh) throw new WorkflowError('not_found', `${objectType} ${objectId} no longer exists in HubSpot: nothing written`);
  const changes = changesSince(state.raw, fresh.properties);
  if (changes.length === 0) return;
  const why = changes.map(([k, a, b]) => `${k}: ${show(a)} → ${show(b)}`).join('; ');
  const ctx = deps.ctx;
  const newRunId = await askAgain(deps, state, fresh.properties, { approvalId: approval._id, runId: state.runId, why });
  await ctx.models.Approval.updateOne({ _id: approval._id }, { $set: { supersededBy: { runId: newRunId } } });
  await audit(ctx.models, { actor: 'orch', action: 'approval.stale', target: approval._id, details: { runId: state.runId, newRunId, why } });
  if (approval.slack?.channel && approval.slack.ts) {
    const text = `:warning: Nothing was written: the ${objectType} changed after this sheet was built (${why}). A fresh sheet asks again.`;
    await ctx.slack.chat.postMessage({ channel: approval.slack.channel, thread_ts: approval.slack.ts, text: escapeMrkdwn(text) }).catch((err: Error) => ctx.logger.warn('could not say the approval was asked again', { approvalId: approval._id, error: err.message }));
  }
  throw new RunCancelledError(`superseded: the ${objectType} changed after approval (${why}); asked again in run ${newRunId}`);
}

/** A new PENDING run on the current data (or the one ingest already made for this version). */
async function askAgain(deps: WorkflowDeps, state: RunStateValue, properties: Record<string, string | null>, asked: AskedAgain): Promise<string> {
  const { Run } = deps.ctx.models;
  const { objectType, objectId } = state.envelope.meta;
  const now = new Date().toISOString();
  const raw = lastModified(objectType, properties);
  const ms = raw === null ? NaN : /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  const key = `${objectType}:${objectId}:${Number.isFinite(ms) ? ms : Date.parse(now)}:${state.workflowId}`;
  const envelope = {
    meta: { eventIds: [], source: 'orch', objectType, objectId, occurredFrom: now, occurredTo: now, receivedAt: now, correlationId: state.runId, portalId: state.envelope.meta.portalId ?? null, subscriptionTypes: ['orch.askAgain'], changedProperties: [], askedAgain: asked },
    payload: { properties, associations: state.envelope.payload?.associations ?? {} },
  };
  const runId = newId('run');
  try {
    await Run.create({ _id: runId, workflowId: state.workflowId, status: 'PENDING', objectType, objectId, correlationKey: key, trigger: { subscriptionTypes: ['orch.askAgain'], eventIds: [], unitId: state.runId, reason: `asked again: ${asked.why}` }, envelope, mode: state.mode });
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    const existing = await Run.findOne({ correlationKey: key }, { _id: 1 }).lean();
    return String(existing?._id ?? '');
  }
  // No 'run.created' event from here: its listener would start the new run inside this run's
  // LangGraph context (async-local), mixing their interrupts. The engine's poll picks it up.
  return runId;
}
