import { Command, isInterrupted, type CompiledStateGraph } from '@langchain/langgraph';
import type { MongoDBSaver } from '@langchain/langgraph-checkpoint-mongodb';
import { Counter, Histogram } from 'prom-client';
import type { AppContext } from '../src/context.ts';
import { updateIfMatches } from '../src/db/guarded-update.ts';
import { newId } from '../src/ids.ts';
import { keyedSerial } from '../src/keyed-serial.ts';
import { getMode } from '../src/services/settings.ts';
import { createCheckpointer } from './checkpointer.ts';
import { classify, reasonOf } from './errors.ts';
import { reportFailedRun } from './failure-alert.ts';
import { createNodeWrapper, type StepLedger } from './node-wrapper.ts';
import { WORKFLOWS } from './registry.ts';
import { candidateById, claimRun, findCandidates, kindOf, type Candidate, type ClaimedRun } from './run-claims.ts';
import type { Envelope, ResumeDecision, RunStateValue, WorkflowIntegrations } from './types.ts';

export interface EngineOptions {
  leaseMs: number;
  pollMs: number;
  concurrency: number;
  retries: number;
  retryMinTimeoutMs?: number;
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
  /** Writes to one run document, chained: FerretDB updates are whole-document read-modify-write, so two concurrent updates of a run lose one of them. */
  private readonly runWrites = keyedSerial();
  private readonly ledger: StepLedger = new Map();
  private pollCount = 0;
  private readonly onCreated = (runId: string) => void this.claimById(runId);
  private saver: MongoDBSaver | undefined;
  /** A finished run is never resumed: its checkpoints only slow every later checkpoint query (FerretDB scans them). */
  private readonly onFinished = (runId: string, status: string) => {
    if (status !== 'COMPLETED' && status !== 'CANCELLED') return;
    void this.saver?.deleteThread(runId).catch((err: Error) => this.ctx.logger.warn('could not delete the checkpoints of a finished run', { runId, error: err.message }));
  };
  private readonly onDecided = (approvalId: string) => void this.deliverDecision(approvalId).catch((err: Error) => this.ctx.logger.warn('could not deliver a decision', { approvalId, error: err.message }));

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
      serialize: (runId, fn) => this.serialize(runId, fn),
      ledger: this.ledger,
    });
    for (const [id, build] of Object.entries(WORKFLOWS)) {
      this.graphs.set(id, build({ ctx: this.ctx, integrations: this.integrations }, wrap).compile({ checkpointer: saver }) as unknown as Graph);
    }
    this.ctx.events.on('run.created', this.onCreated);
    this.ctx.events.on('approval.decided', this.onDecided);
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
    this.ctx.events.off('approval.decided', this.onDecided);
    this.ctx.events.off('run.finished', this.onFinished);
    await Promise.allSettled([...this.inflight.values()]);
  }

  /** Writes to one run, one after the other (see runWrites). */
  serialize<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    return this.runWrites(runId, fn);
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
    if (this.pollCount % 5 === 1) await this.repairLostResumes();
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

  private async tryClaim(cand: Candidate): Promise<void> {
    const run = await claimRun(this.ctx, this.instanceId, this.opts.leaseMs, cand);
    if (run && run !== 'contended') this.launch(run);
  }

  /** Claims one run the moment something happened to it (created, decided), without a poll's scan. */
  private async claimById(runId: string): Promise<void> {
    if (this.stopping) return;
    if (this.inflight.has(runId)) {
      this.recheck.add(runId);
      return;
    }
    if (this.inflight.size >= this.opts.concurrency) {
      this.backlog = true;
      return;
    }
    const cand = await candidateById(this.ctx, runId).catch(() => null);
    if (cand && kindOf(cand)) await this.tryClaim(cand).catch((err: Error) => this.ctx.logger.warn('could not claim a run', { runId, error: err.message }));
  }

  /**
   * The Approval is the source of truth for a decision. A run still WAITING_APPROVAL whose
   * approval is decided lost its pendingResume (a concurrent whole-document update on FerretDB,
   * or a crash between the two writes): hand it the decision again.
   */
  private async repairLostResumes(): Promise<void> {
    const { Run, Approval } = this.ctx.models;
    const waiting = await Run.find({ status: 'WAITING_APPROVAL', pendingResume: { $exists: false } }, { _id: 1 }).limit(100).lean();
    if (waiting.length === 0) return;
    const decided = await Approval.find({ runId: { $in: waiting.map((r) => r._id) }, status: { $in: ['APPROVED', 'REJECTED'] } }).lean();
    for (const a of decided) await this.setPendingResume(a as unknown as DecidedApproval);
  }

  /** A decision made in this process: handed to the run through the same write chain as the engine's own writes. */
  private async deliverDecision(approvalId: string): Promise<void> {
    const a = await this.ctx.models.Approval.findById(approvalId).lean();
    if (a && (a.status === 'APPROVED' || a.status === 'REJECTED')) await this.setPendingResume(a as unknown as DecidedApproval);
  }

  private setPendingResume(a: DecidedApproval): Promise<void> {
    const decision: ResumeDecision = { approvalId: a._id, decision: a.decision as ResumeDecision['decision'], actor: a.decidedBy ?? 'unknown', ...(a.reason ? { reason: a.reason } : {}), at: (a.decidedAt ?? new Date()).toISOString() };
    return this.serialize(a.runId, async () => {
      const set = await updateIfMatches(this.ctx.models.Run, a.runId, { status: { $in: ['WAITING_APPROVAL', 'RUNNING'] }, pendingResume: { $exists: false } }, { $set: { pendingResume: decision } });
      if (set) void this.claimById(a.runId);
    });
  }

  private launch(run: ClaimedRun): void {
    if (this.inflight.has(run._id)) return;
    const p = this.execute(run).finally(() => {
      this.inflight.delete(run._id);
      if (this.recheck.delete(run._id)) void this.claimById(run._id);
      // Only when work was left waiting for a slot: a poll scans the runs (expensive on FerretDB).
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

  private async execute(run: ClaimedRun): Promise<void> {
    const { Run } = this.ctx.models;
    const log = this.ctx.logger.child({ runId: run._id, workflowId: run.workflowId });
    let renewing = true;
    const renew = setInterval(() => {
      void this.serialize(run._id, async () => {
        if (!renewing) return;
        await updateIfMatches(Run, run._id, { owner: this.instanceId, status: 'RUNNING' }, { $set: { leaseUntil: new Date(Date.now() + this.opts.leaseMs) } });
      }).catch(() => undefined);
    }, Math.max(200, Math.floor(this.opts.leaseMs / 3)));
    const stopRenewing = () => {
      renewing = false;
      clearInterval(renew);
    };
    try {
      const graph = this.graphs.get(run.workflowId);
      if (!graph) throw Object.assign(new Error(`unknown workflow "${run.workflowId}"`), { name: 'ConfigurationError' });
      if (!run.mode) {
        run.mode = await getMode(this.ctx);
        await Run.updateOne({ _id: run._id }, { $set: { mode: run.mode } });
      }
      // 'exit': the checkpoint is written when this invocation ends (interrupt, completion or error),
      // not after every step: on FerretDB each step's checkpoint and writes cost ~4 writes that grow
      // with the collection. A crash mid-invocation re-runs its steps from the last saved point:
      // every node is a read, an upsert keyed by the HubSpot id, or claimed (sheet, thread reply).
      const config = { configurable: { thread_id: run._id }, recursionLimit: 100, durability: 'exit' as const };
      const finish = (fn: () => Promise<void>) => {
        stopRenewing();
        return this.serialize(run._id, fn);
      };
      // A first claim has no checkpoint to look for (two queries saved on the hot path).
      const snap = run.attempts === 1 ? null : await graph.getState(config);
      const waiting = snap?.tasks.some((t) => (t.interrupts?.length ?? 0) > 0) ?? false;
      let input: Partial<RunStateValue> | Command | null;
      if (!snap?.createdAt) input = this.initialState(run);
      else if (waiting) {
        if (!run.pendingResume) return await finish(() => this.markWaiting(run));
        input = new Command({ resume: run.pendingResume });
      } else if (snap.next.length === 0) return await finish(() => this.complete(run, snap.values as RunStateValue));
      else input = null; // continue from the last checkpoint (retaken or retried run)
      const out = await graph.invoke(input, config);
      if (isInterrupted(out)) await finish(() => this.markWaiting(run));
      else await finish(() => this.complete(run, out as RunStateValue));
    } catch (err) {
      stopRenewing();
      await this.serialize(run._id, () => this.fail(run, err, log));
    } finally {
      stopRenewing();
      this.ledger.delete(run._id);
    }
  }

  private async markWaiting(run: ClaimedRun): Promise<void> {
    const { Run } = this.ctx.models;
    // Drop only the decision this invocation consumed; one that arrived meanwhile stays and is picked up.
    const consumed = run.pendingResume ? { pendingResume: 1 } : {};
    const guard = { owner: this.instanceId, status: 'RUNNING', ...(run.pendingResume ? { 'pendingResume.approvalId': run.pendingResume.approvalId } : {}) };
    const done = await updateIfMatches(Run, run._id, guard, { $set: { status: 'WAITING_APPROVAL' }, $unset: { owner: 1, leaseUntil: 1, ...consumed } });
    // A newer decision than the consumed one: keep it, just hand the run back.
    if (!done && run.pendingResume) await updateIfMatches(Run, run._id, { owner: this.instanceId, status: 'RUNNING' }, { $set: { status: 'WAITING_APPROVAL' }, $unset: { owner: 1, leaseUntil: 1 } });
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
    const done = await updateIfMatches(this.ctx.models.Run, run._id, { owner: this.instanceId }, { $set: { status: 'COMPLETED', finishedAt: new Date(), result }, $unset: { owner: 1, leaseUntil: 1, pendingResume: 1 } });
    if (!done) return; // another instance took it over (our lease lapsed)
    this.runsFinished.inc({ workflow: run.workflowId, status: 'COMPLETED' });
    this.ctx.events.emit('run.finished', run._id, 'COMPLETED');
  }

  private async fail(run: ClaimedRun, err: unknown, log: AppContext['logger']): Promise<void> {
    const { errorClass } = classify(err);
    const reason = reasonOf(err);
    const status = errorClass === 'cancelled' ? 'CANCELLED' : 'FAILED';
    const done = await updateIfMatches(this.ctx.models.Run, run._id, { owner: this.instanceId }, { $set: { status, finishedAt: new Date(), error: reason, errorClass }, $unset: { owner: 1, leaseUntil: 1, pendingResume: 1 } });
    if (!done) return;
    this.runsFinished.inc({ workflow: run.workflowId, status });
    this.ctx.events.emit('run.finished', run._id, status);
    if (status === 'CANCELLED') return void log.info('run cancelled');
    log.error('workflow run failed', { errorClass, error: reason });
    await reportFailedRun(this.ctx, { runId: run._id, workflowId: run.workflowId, objectType: run.objectType, objectId: run.objectId, errorClass, reason });
  }
}
