import { EventEmitter } from 'node:events';

/**
 * In-process hints between modules (e.g. "run created" → engine wakes up at once instead of at
 * its next poll). Never the source of truth: everything a hint points to is also in MongoDB.
 */
export interface OrchEvents {
  /** `known`: the run as its creator just wrote it (status, attempts, mode), so the engine claims it without reading it first. */
  'run.created': [runId: string, known?: { _id: string; status: string; attempts: number; mode?: string }];
  'run.finished': [runId: string, status: string];
  'approval.decided': [approvalId: string];
  /** A decision was handed to this run (pendingResume set): claim it now. */
  'run.resumable': [runId: string];
  'home.changed': [];
}

export class EventBus extends EventEmitter<OrchEvents> {}
