import { Command, isInterrupted, type CompiledStateGraph } from '@langchain/langgraph';
import { Counter, Histogram } from 'prom-client';
import type { AppContext } from '../src/context.ts';
import { newId } from '../src/ids.ts';
import { claimOnce, RUN_CLAIMS } from '../src/services/claims.ts';
import { getMode } from '../src/services/settings.ts';
import { createCheckpointer } from './checkpointer.ts';
import { classify, reasonOf } from './errors.ts';
import { reportFailedRun } from './failure-alert.ts';
import { createNodeWrapper } from './node-wrapper.ts';
import { WORKFLOWS } from './registry.ts';
import type { Envelope, ResumeDecision, RunStateValue, WorkflowIntegrations } from './types.ts';

export interface EngineOptions {
  leaseMs: number;
  pollMs: number;
  concurrency: number;
  retries: number;
  retryMinTimeoutMs?: number;
}

interface ClaimedRun {
  _id: string;
  workflowId: string;
  objectType: string;
  objectId: string;
  envelope?: Envelope;
  mode?: 'dry-run' | 'live';
  pendingResume?: ResumeDecision;
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
  private readonly runsFinished: Counter<'workflow' | 'status'>;
  private readonly stepSeconds: Histogram<'step' | 'status'>;
  /** Writes to one run document, chained: FerretDB updates are whole-document read-modify-write, so two concurrent updates of a run lose one of them. */
  private readonly runWrites = new Map<string, Promise<unknown>>();
  private pollCount = 0;
  private readonly onCreated = (runId: string) => void this.claimById(runId);
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
    const wrap = createNodeWrapper({
      models: this.ctx.models,
      logger: this.ctx.logger,
      retries: this.opts.retries,
      ...(this.opts.retryMinTimeoutMs === undefined ? {} : { minTimeoutMs: this.opts.retryMinTimeoutMs }),
      onStep: (step, status, ms) => this.stepSeconds.observe({ step, status }, ms / 1000),
      serialize: (runId, fn) => this.serialize(runId, fn),
    });
    for (const [id, build] of Object.entries(WORKFLOWS)) {
      this.graphs.set(id, build({ ctx: this.ctx, integrations: this.integrations }, wrap).compile({ checkpointer: saver }) as unknown as Graph);
    }
    this.ctx.events.on('run.created', this.onCreated);
    this.ctx.events.on('approval.decided', this.onDecided);
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
    await Promise.allSettled([...this.inflight.values()]);
  }

  serialize<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.runWrites.get(runId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.runWrites.set(runId, settled);
    void settled.then(() => {
      if (this.runWrites.get(runId) === settled) this.runWrites.delete(runId);
    });
    return next;
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
    while (!this.stopping && this.inflight.size < this.opts.concurrency) {
      const run = await this.claimNext();
      if (!run) return;
      this.launch(run);
    }
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
    this.kick();
  }

  private setPendingResume(a: DecidedApproval): Promise<void> {
    const decision: ResumeDecision = { approvalId: a._id, decision: a.decision as ResumeDecision['decision'], actor: a.decidedBy ?? 'unknown', ...(a.reason ? { reason: a.reason } : {}), at: (a.decidedAt ?? new Date()).toISOString() };
    return this.serialize(a.runId, async () => {
      const res = await this.ctx.models.Run.updateOne({ _id: a.runId, status: { $in: ['WAITING_APPROVAL', 'RUNNING'] }, pendingResume: { $exists: false } }, { $set: { pendingResume: decision } });
      if (res.modifiedCount) this.kick();
    });
  }

  private claimUpdate() {
    return { $set: { status: 'RUNNING', owner: this.instanceId, leaseUntil: new Date(Date.now() + this.opts.leaseMs) }, $inc: { attempts: 1 } };
  }

  private async claimById(runId: string): Promise<void> {
    if (this.stopping || this.inflight.size >= this.opts.concurrency) return this.kick();
    const run = await this.claim({ _id: runId, status: 'PENDING' }).catch(() => null);
    if (run && !('contended' in run)) this.launch(run);
  }

  /**
   * Claims the oldest run matching `filter`. FerretDB's findOneAndUpdate is not atomic under
   * concurrency, so the winner is decided by inserting `runId#attempts` into run_claims (a
   * duplicate _id fails for every other instance); `attempts` grows with each claim.
   */
  private async claim(filter: Record<string, unknown>): Promise<ClaimedRun | { contended: string } | null> {
    const Run = this.ctx.models.Run;
    // No sort: FerretDB v1 cannot use an index for it and would sort the whole collection on every
    // poll. Fairness comes from events (run.created, approval.decided); the poll is the safety net.
    const cand = await Run.findOne(filter, { _id: 1, attempts: 1 }).lean();
    if (!cand) return null;
    const n = cand.attempts ?? 0;
    const key = `${cand._id}#${n}`;
    if (!(await claimOnce(Run, RUN_CLAIMS, key, { owner: this.instanceId }))) {
      // A claim older than a lease whose run never moved on: its claimer died in between. Release it.
      const claim = (await Run.db.collection(RUN_CLAIMS).findOne({ _id: key as never })) as { at?: Date } | null;
      if (claim?.at && Date.now() - claim.at.getTime() > this.opts.leaseMs) await Run.db.collection(RUN_CLAIMS).deleteOne({ _id: key as never, at: claim.at });
      return { contended: cand._id };
    }
    const run = await Run.findOneAndUpdate({ ...filter, _id: cand._id, attempts: n }, this.claimUpdate(), { returnDocument: 'after', lean: true });
    if (!run) {
      // The run changed under us: release the claim so this attempt number stays claimable.
      await Run.db.collection(RUN_CLAIMS).deleteOne({ _id: key as never });
      return { contended: cand._id };
    }
    return run as unknown as ClaimedRun;
  }

  /** Decisions first (a human is waiting), then new runs, then runs whose worker died. */
  private async claimNext(): Promise<ClaimedRun | null> {
    for (const base of [
      { status: 'WAITING_APPROVAL', pendingResume: { $exists: true } },
      { status: 'PENDING' },
      { status: 'RUNNING', leaseUntil: { $lt: new Date() } },
    ]) {
      // A contended candidate is skipped for this pass, so one stuck run cannot starve the others.
      const skip: string[] = [...this.inflight.keys()];
      for (let i = 0; i < 5; i++) {
        const run = await this.claim(skip.length ? { ...base, _id: { $nin: skip } } : base);
        if (!run) break;
        if (!('contended' in run)) return run;
        skip.push(run.contended);
      }
    }
    return null;
  }

  private launch(run: ClaimedRun): void {
    if (this.inflight.has(run._id)) return;
    const p = this.execute(run).finally(() => {
      this.inflight.delete(run._id);
      this.kick();
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
        await Run.updateOne({ _id: run._id, owner: this.instanceId, status: 'RUNNING' }, { $set: { leaseUntil: new Date(Date.now() + this.opts.leaseMs) } });
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
      const config = { configurable: { thread_id: run._id }, recursionLimit: 100 };
      const snap = await graph.getState(config);
      const waiting = snap.tasks.some((t) => (t.interrupts?.length ?? 0) > 0);
      let input: Partial<RunStateValue> | Command | null;
      const finish = (fn: () => Promise<void>) => {
        stopRenewing();
        return this.serialize(run._id, fn);
      };
      if (!snap.createdAt) input = this.initialState(run);
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
    }
  }

  private async markWaiting(run: ClaimedRun): Promise<void> {
    const { Run } = this.ctx.models;
    await Run.updateOne({ _id: run._id, owner: this.instanceId, status: 'RUNNING' }, { $set: { status: 'WAITING_APPROVAL' }, $unset: { owner: 1, leaseUntil: 1 } });
    // Drop only the decision this invocation consumed; one that arrived meanwhile stays and is picked up.
    if (run.pendingResume) await Run.updateOne({ _id: run._id, 'pendingResume.approvalId': run.pendingResume.approvalId }, { $unset: { pendingResume: 1 } });
    const again = await Run.exists({ _id: run._id, status: 'WAITING_APPROVAL', pendingResume: { $exists: true } });
    if (again) this.kick();
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
    const res = await this.ctx.models.Run.updateOne(
      { _id: run._id, owner: this.instanceId },
      { $set: { status: 'COMPLETED', finishedAt: new Date(), result }, $unset: { owner: 1, leaseUntil: 1, pendingResume: 1 } },
    );
    if (res.modifiedCount === 0) return; // another instance took it over (our lease lapsed)
    this.runsFinished.inc({ workflow: run.workflowId, status: 'COMPLETED' });
    this.ctx.events.emit('run.finished', run._id, 'COMPLETED');
  }

  private async fail(run: ClaimedRun, err: unknown, log: AppContext['logger']): Promise<void> {
    const { errorClass } = classify(err);
    const reason = reasonOf(err);
    const status = errorClass === 'cancelled' ? 'CANCELLED' : 'FAILED';
    const res = await this.ctx.models.Run.updateOne(
      { _id: run._id, owner: this.instanceId },
      { $set: { status, finishedAt: new Date(), error: reason, errorClass }, $unset: { owner: 1, leaseUntil: 1, pendingResume: 1 } },
    );
    if (res.modifiedCount === 0) return;
    this.runsFinished.inc({ workflow: run.workflowId, status });
    this.ctx.events.emit('run.finished', run._id, status);
    if (status === 'CANCELLED') return void log.info('run cancelled');
    log.error('workflow run failed', { errorClass, error: reason });
    await reportFailedRun(this.ctx, { runId: run._id, workflowId: run.workflowId, objectType: run.objectType, objectId: run.objectId, errorClass, reason });
  }
}
