import { Command, isInterrupted, type CompiledStateGraph } from '@langchain/langgraph';
import type { MongoDBSaver } from '@langchain/langgraph-checkpoint-mongodb';
import { Counter, Histogram } from 'prom-client';
import type { AppContext } from '../src/context.ts';
import { newId } from '../src/ids.ts';
import { getMode } from '../src/services/settings.ts';
import { createCheckpointer } from './checkpointer.ts';
import { classify, reasonOf } from './errors.ts';
import { reportFailedRun } from './failure-alert.ts';
import { createNodeWrapper, type StepLedger } from './node-wrapper.ts';
import { WORKFLOWS } from './registry.ts';
import { candidateById, claimRun, findCandidates, kindOf, type Candidate, type ClaimedRun } from './run-claims.ts';
import { resumeRun } from './run-control.ts';
import type { Envelope, ResumeDecision, RunStateValue, WorkflowIntegrations } from './types.ts';

export interface EngineOptions {
  leaseMs: number;
  pollMs: number;
  concurrency: number;
  retries: number;
  retryMinTimeoutMs?: number;
  /** ORCH_CHECKPOINTS: LangGraph durability. */
  checkpoints?: 'exit' | 'async';
}

type DecidedApproval = { _id: string; runId: string; decision?: string; decidedBy?: string; decidedAt?: Date; reason?: string };

// The state type is shared by every workflow; the node names differ, which the engine never needs.
type Graph = CompiledStateGraph<RunStateValue, Partial<RunStateValue>, string>;

/**
 * Runs workflow threads: claims PENDING runs atomically (on 'run.created' and by polling, so runs
 * from other instances or from before a crash are found), retakes RUNNING runs whose lease
 * expired, and resumes WAITING_APPROVAL runs once a decision is stored on them.
 */
export class WorkflowEngine {
  readonly instanceId = newId('wrk', 8);
  private readonly ctx: AppContext;
  private readonly integrations: WorkflowIntegrations;
  private readonly opts: EngineOptions;
  private readonly graphs = new Map<string, Graph>();
  private readonly inflight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private polling = false;
  private pollAgain = false;
  /** Claimable work was left for lack of a free slot: poll again when one frees up. */
  private backlog = false;
  /** Runs to look at again when their current invocation ends (something happened to them meanwhile). */
  private readonly recheck = new Set<string>();
  private readonly runsFinished: Counter<'workflow' | 'status'>;
  private readonly stepSeconds: Histogram<'step' | 'status'>;
  private readonly ledger: StepLedger = new Map();
  private pollCount = 0;
  private readonly onCreated = (runId: string, known?: Candidate) => void this.claimById(runId, known);
  private saver: MongoDBSaver | undefined;
  /** A finished run is never resumed: its checkpoints are dead weight (the Run keeps steps and result). */
  private readonly onFinished = (runId: string, status: string) => {
    if (status !== 'COMPLETED' && status !== 'CANCELLED') return;
    void this.saver?.deleteThread(runId).catch((err: Error) => this.ctx.logger.warn('could not delete the checkpoints of a finished run', { runId, error: err.message }));
  };

  constructor(ctx: AppContext, integrations: WorkflowIntegrations, opts: EngineOptions) {
    this.ctx = ctx;
    this.integrations = integrations;
    this.opts = opts;
    const registers = [ctx.metrics.registry];
    this.runsFinished = new Counter({ name: 'orch_workflow_runs_finished_total', help: 'Workflow runs that ended, by status', labelNames: ['workflow', 'status'], registers });
    this.stepSeconds = new Histogram({ name: 'orch_workflow_step_seconds', help: 'Workflow step durations', labelNames: ['step', 'status'], registers, buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30] });
  }

  async start(): Promise<void> {
    const saver = await createCheckpointer(this.ctx.mongo.client, this.ctx.mongo.dbName, this.ctx.logger);
    this.saver = saver;
    const wrap = createNodeWrapper({
      models: this.ctx.models,
      logger: this.ctx.logger,
      retries: this.opts.retries,
      ...(this.opts.retryMinTimeoutMs === undefined ? {} : { minTimeoutMs: this.opts.retryMinTimeoutMs }),
      onStep: (step, status, ms) => this.stepSeconds.observe({ step, status }, ms / 1000),
      ledger: this.ledger,
    });
    for (const [id, build] of Object.entries(WORKFLOWS)) {
      this.graphs.set(id, build({ ctx: this.ctx, integrations: this.integrations }, wrap).compile({ checkpointer: saver }) as unknown as Graph);
    }
    this.ctx.events.on('run.created', this.onCreated);
    this.ctx.events.on('run.resumable', this.onCreated);
    this.ctx.events.on('run.finished', this.onFinished);
    this.timer = setInterval(() => this.kick(), this.opts.pollMs);
    this.timer.unref();
    this.kick();
    this.ctx.logger.info('workflow engine started', { instance: this.instanceId, workflows: [...this.graphs.keys()] });
  }

  /** Stops claiming; running invocations finish (or reach a checkpoint) within the lifecycle deadline. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.ctx.events.off('run.created', this.onCreated);
    this.ctx.events.off('run.resumable', this.onCreated);
    this.ctx.events.off('run.finished', this.onFinished);
    await Promise.allSettled([...this.inflight.values()]);
  }

  /** Look for work now (coalesced: one pass at a time, one more if asked during a pass). */
  kick(): void {
    if (this.stopping) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    void this.poll()
      .catch((err: Error) => this.ctx.logger.error('workflow poll failed', { error: err.message }))
      .finally(() => {
        this.polling = false;
        if (this.pollAgain) {
          this.pollAgain = false;
          this.kick();
        }
      });
  }

  private async poll(): Promise<void> {
    this.pollCount += 1;
    if (this.pollCount % 5 === 1) await this.sweepDecided();
    const skip = [...this.inflight.keys()];
    const room = this.opts.concurrency - this.inflight.size;
    if (room <= 0 || this.stopping) return void (this.backlog = room <= 0);
    // A few spare candidates: some may be contended by another instance.
    const cands = await findCandidates(this.ctx, skip, room + 5);
    for (const cand of cands) {
      if (this.stopping) return;
      if (this.inflight.size >= this.opts.concurrency) return void (this.backlog = true);
      await this.tryClaim(cand);
    }
    // A full page may have left runs behind: look again once a slot frees up.
    this.backlog = cands.length === room + 5;
  }

  /** True when this engine claimed the run (and launched it). */
  private async tryClaim(cand: Candidate): Promise<boolean> {
    const run = await claimRun(this.ctx, this.instanceId, this.opts.leaseMs, cand);
    if (!run || run === 'contended') return false;
    this.launch(run);
    return true;
  }

  /** Claims one run the moment something happened to it (created, decided), without a poll's scan. */
  private async claimById(runId: string, known?: Candidate): Promise<void> {
    if (this.stopping) return;
    if (this.inflight.has(runId)) {
      this.recheck.add(runId);
      return;
    }
    if (this.inflight.size >= this.opts.concurrency) {
      this.backlog = true;
      return;
    }
    // A run this process just created is claimed as written (one round trip, not two); if that
    // claim misses (changed meanwhile), it is read and tried once more.
    if (known && kindOf(known)) {
      const claimed = await this.tryClaim(known).catch((err: Error) => {
        this.ctx.logger.warn('could not claim a new run at once; reading it and trying again', { runId, error: err.message });
        return false;
      });
      if (claimed) return;
    }
    const cand = await candidateById(this.ctx, runId).catch(() => null);
    if (cand && kindOf(cand)) await this.tryClaim(cand).catch((err: Error) => this.ctx.logger.warn('could not claim a run', { runId, error: err.message }));
  }

  /**
   * The Approval is the source of truth for a decision; handing it to the run is a second write
   * (run-control.resumeRun). A crash between the two leaves a decided approval on a waiting run
   * without pendingResume: hand it over again here.
   */
  private async sweepDecided(): Promise<void> {
    const { Run, Approval } = this.ctx.models;
    const waiting = await Run.find({ status: 'WAITING_APPROVAL', pendingResume: { $exists: false } }, { _id: 1 }).limit(100).lean();
    if (waiting.length === 0) return;
    const decided = (await Approval.find({ runId: { $in: waiting.map((r) => r._id) }, status: { $in: ['APPROVED', 'REJECTED'] } }).lean()) as unknown as DecidedApproval[];
    for (const a of decided) {
      const decision: ResumeDecision = { approvalId: a._id, decision: a.decision as ResumeDecision['decision'], actor: a.decidedBy ?? 'unknown', ...(a.reason ? { reason: a.reason } : {}), at: (a.decidedAt ?? new Date()).toISOString() };
      await resumeRun(this.ctx, a.runId, decision);
    }
  }

  private launch(run: ClaimedRun): void {
    if (this.inflight.has(run._id)) return;
    const p = this.execute(run).finally(() => {
      this.inflight.delete(run._id);
      if (this.recheck.delete(run._id)) void this.claimById(run._id);
      // Only when work was left waiting for a slot; otherwise events and the timer find new work.
      if (this.backlog) this.kick();
    });
    this.inflight.set(run._id, p);
  }

  private initialState(run: ClaimedRun): Partial<RunStateValue> {
    const envelope: Envelope = run.envelope?.meta ? run.envelope : { meta: { objectType: run.objectType, objectId: run.objectId }, payload: {} };
    return {
      runId: run._id,
      workflowId: run.workflowId,
      mode: run.mode ?? this.ctx.config.ORCH_MODE, // set from getMode() before the first execution
      envelope,
      raw: null,
      record: null,
      enrichment: null,
      mirror: null,
      diff: [],
      policy: null,
      evaluation: null,
      intendedWrites: [],
      approvalId: null,
      decision: null,
      writes: [],
      sop: null,
      outcome: 'pending',
    };
  }

  /** One conditional update of this run: applied only while `guard` still holds (another instance may have retaken it). */
  private async transition(runId: string, guard: Record<string, unknown>, update: Record<string, unknown>): Promise<boolean> {
    const res = await this.ctx.models.Run.updateOne({ _id: runId, ...guard }, update);
    return res.modifiedCount === 1;
  }

  private async execute(run: ClaimedRun): Promise<void> {
    const log = this.ctx.logger.child({ runId: run._id, workflowId: run.workflowId });
    const renew = setInterval(() => {
      void this.transition(run._id, { owner: this.instanceId, status: 'RUNNING' }, { $set: { leaseUntil: new Date(Date.now() + this.opts.leaseMs) } }).catch(() => undefined);
    }, Math.max(200, Math.floor(this.opts.leaseMs / 3)));
    try {
      const graph = this.graphs.get(run.workflowId);
      if (!graph) throw Object.assign(new Error(`unknown workflow "${run.workflowId}"`), { name: 'ConfigurationError' });
      if (!run.mode) {
        run.mode = await getMode(this.ctx);
        await this.ctx.models.Run.updateOne({ _id: run._id }, { $set: { mode: run.mode } });
      }
      // 'exit' (default): the checkpoint is written when this invocation ends (interrupt, completion,
      // error), not after every step (see docs/operations.md for the measured difference). A crash
      // mid-invocation re-runs its steps from the last saved point: every node is a read, an upsert
      // keyed by the HubSpot id, or claimed once (sheet, thread reply).
      const config = { configurable: { thread_id: run._id }, recursionLimit: 100, durability: this.opts.checkpoints ?? 'exit' };
      // A first claim has no checkpoint to look for (two queries saved on the hot path).
      const snap = run.attempts === 1 ? null : await graph.getState(config);
      const waiting = snap?.tasks.some((t) => (t.interrupts?.length ?? 0) > 0) ?? false;
      let input: Partial<RunStateValue> | Command | null;
      if (!snap?.createdAt) input = this.initialState(run);
      else if (waiting) {
        if (!run.pendingResume) return await this.markWaiting(run);
        input = new Command({ resume: run.pendingResume });
      } else if (snap.next.length === 0) return await this.complete(run, snap.values as RunStateValue);
      else input = null; // continue from the last checkpoint (retaken or retried run)
      const out = await graph.invoke(input, config);
      clearInterval(renew);
      if (isInterrupted(out)) await this.markWaiting(run);
      else await this.complete(run, out as RunStateValue);
    } catch (err) {
      clearInterval(renew);
      await this.fail(run, err, log);
    } finally {
      clearInterval(renew);
      this.ledger.delete(run._id);
    }
  }

  private async markWaiting(run: ClaimedRun): Promise<void> {
    // Drop only the decision this invocation consumed; one that arrived meanwhile stays and is picked up.
    const consumed = run.pendingResume ? { pendingResume: 1 } : {};
    const guard = { owner: this.instanceId, status: 'RUNNING', ...(run.pendingResume ? { 'pendingResume.approvalId': run.pendingResume.approvalId } : {}) };
    const done = await this.transition(run._id, guard, { $set: { status: 'WAITING_APPROVAL' }, $unset: { owner: 1, leaseUntil: 1, ...consumed } });
    // A newer decision than the consumed one: keep it, just hand the run back.
    if (!done && run.pendingResume) await this.transition(run._id, { owner: this.instanceId, status: 'RUNNING' }, { $set: { status: 'WAITING_APPROVAL' }, $unset: { owner: 1, leaseUntil: 1 } });
    // A decision that arrived while this invocation ran is served as soon as it ends.
    this.recheck.add(run._id);
  }

  private async complete(run: ClaimedRun, state: RunStateValue): Promise<void> {
    const result = {
      outcome: state.outcome,
      writes: state.writes ?? [],
      sop: state.sop ?? null,
      changes: state.diff?.length ?? 0,
      flags: state.evaluation?.flags ?? [],
      enrichment: state.enrichment ? { source: state.enrichment.source, riskLevel: state.enrichment.riskLevel, note: state.enrichment.note ?? null } : null,
      approvalId: state.approvalId ?? null,
    };
    const done = await this.transition(run._id, { owner: this.instanceId }, { $set: { status: 'COMPLETED', finishedAt: new Date(), result }, $unset: { owner: 1, leaseUntil: 1, pendingResume: 1 } });
    if (!done) return; // another instance took it over (our lease lapsed)
    this.runsFinished.inc({ workflow: run.workflowId, status: 'COMPLETED' });
    this.ctx.logger.info('run completed', { runId: run._id, correlationId: state.envelope?.meta?.correlationId, workflowId: run.workflowId, outcome: result.outcome ?? null, writes: result.writes.length });
    this.ctx.events.emit('run.finished', run._id, 'COMPLETED');
  }

  private async fail(run: ClaimedRun, err: unknown, log: AppContext['logger']): Promise<void> {
    const { errorClass } = classify(err);
    const reason = reasonOf(err);
    const status = errorClass === 'cancelled' ? 'CANCELLED' : 'FAILED';
    const done = await this.transition(run._id, { owner: this.instanceId }, { $set: { status, finishedAt: new Date(), error: reason, errorClass }, $unset: { owner: 1, leaseUntil: 1, pendingResume: 1 } });
    if (!done) return;
    this.runsFinished.inc({ workflow: run.workflowId, status });
    this.ctx.events.emit('run.finished', run._id, status);
    if (status === 'CANCELLED') return void log.info('run cancelled');
    log.error('workflow run failed', { errorClass, error: reason });
    await reportFailedRun(this.ctx, { runId: run._id, workflowId: run.workflowId, objectType: run.objectType, objectId: run.objectId, errorClass, reason });
  }
}
