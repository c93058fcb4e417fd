import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import { loadConfig } from '../../src/config.ts';
import { connectMongo, type MongoHandles } from '../../src/db/connection.ts';
import { createModels, ensureIndexes, type Models } from '../../src/db/models/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { EventBus } from '../../src/events.ts';
import { createIntegrations } from '../../src/integrations/index.ts';
import { IntegrationError } from '../../src/integrations/errors.ts';
import type { AppContext } from '../../src/context.ts';
import { seedPolicies } from '../../src/services/policies.ts';
import { WorkflowEngine } from '../../workflows/engine.ts';
import { createNodeWrapper, STEP_VISIBLE_AFTER_MS } from '../../workflows/node-wrapper.ts';
import type { RunStateValue } from '../../workflows/types.ts';
import { FAKE_CREDENTIALS, startFakes, type Fakes } from '../fakes/index.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { until } from '../helpers/ingest.ts';

let fakes: Fakes;
let mongo: MongoHandles;
let models: Models;
const engines: WorkflowEngine[] = [];

function context(): AppContext {
  const config = loadConfig({
    PUBLIC_URL: 'http://127.0.0.1:1',
    SLACK_SIGNING_SECRET: 'test-signing-secret',
    HUBSPOT_CLIENT_SECRET: 'test-hubspot-secret',
    ORCH_API_TOKEN: 'test-api-token-0123456789',
    ...fakes.env(),
    ORCH_MODE: 'live',
  });
  const logger = createLogger({ level: 'error' });
  const metrics = createMetrics();
  const slack = new WebClient(config.SLACK_BOT_TOKEN, { slackApiUrl: config.SLACK_API_URL, retryConfig: { retries: 0 } });
  const integrations = createIntegrations(config, logger, metrics, null);
  return { config, logger, metrics, mongo, models, neo4j: null, slack, events: new EventBus(), integrations } as unknown as AppContext;
}

async function engine(): Promise<WorkflowEngine> {
  const ctx = context();
  const e = new WorkflowEngine(ctx, ctx.integrations, { leaseMs: 5000, pollMs: 50, concurrency: 4, retries: 2, retryMinTimeoutMs: 10 });
  await e.start();
  engines.push(e);
  return e;
}

function dealRun(id: string, properties: Record<string, string>) {
  return {
    _id: id,
    workflowId: 'procurement-approval',
    status: 'PENDING' as const,
    objectType: 'deal',
    objectId: id,
    correlationKey: `deal:${id}:1:procurement-approval`,
    envelope: { meta: { objectType: 'deal', objectId: id, eventIds: [] }, payload: { properties } },
  };
}

beforeAll(async () => {
  fakes = await startFakes();
  const { uri } = uniqueMongoUri('wfengine');
  mongo = await connectMongo({ uri, logger: createLogger({ level: 'error' }) });
  models = createModels(mongo.conn);
  await ensureIndexes(models);
  await seedPolicies(models, createLogger({ level: 'error' }));
  void FAKE_CREDENTIALS;
});

afterAll(async () => {
  for (const e of engines) await e.stop();
  await mongo?.conn.dropDatabase().catch(() => undefined);
  await mongo?.close();
  await fakes?.stop();
});

describe('workflow engine on the test bed MongoDB', () => {
  it('when two engines poll the same PENDING runs, then every run is executed exactly once', async () => {
    await Promise.all([engine(), engine()]);
    const ids = Array.from({ length: 12 }, (_, i) => `run_twoengines_${i}`);
    await models.Run.insertMany(ids.map((id) => dealRun(id, { dealname: `Small ${id}`, amount: '100' })));
    await until(async () => (await models.Run.countDocuments({ _id: { $in: ids }, status: 'COMPLETED' })) === ids.length, 20_000, 'all runs COMPLETED');
    const runs = await models.Run.find({ _id: { $in: ids } }).lean();
    for (const r of runs) {
      expect(r.steps.filter((s) => s.name === 'fetch')).toHaveLength(1);
      expect(r.attempts).toBe(1);
      expect((r.result as { outcome?: string }).outcome).toBe('not_required');
    }
  });

  it('when posting the sheet fails with a configuration error, then the run FAILS with a readable reason posted to the alerts channel', async () => {
    fakes.slack.inject({ match: 'chat.postMessage', status: 200, body: { ok: false, error: 'channel_not_found' }, times: 1 });
    await models.Run.create(dealRun('run_badchannel', { dealname: 'Needs A Human', amount: '50000' }));
    const run = await until(async () => models.Run.findOne({ _id: 'run_badchannel', status: 'FAILED' }).lean(), 15_000, 'FAILED');
    expect(run).toMatchObject({ errorClass: 'configuration', error: 'Slack posting the approval sheet failed: channel_not_found' });
    expect(run.steps.find((s) => s.name === 'approval')).toMatchObject({ status: 'failed', errorClass: 'configuration' });
    const alert = await until(async () => fakes.slack.messagesIn('orch-alerts').find((m) => (m.text ?? '').includes('run_badchannel')), 10_000, 'alert');
    expect(alert.text).toContain('configuration');
  });

  it('when the process died after a decision was stored but before it reached the run, then the next engine delivers it and the run finishes', async () => {
    if (engines.length === 0) await engine();
    fakes.hubspot.put('deals', { id: 'run_halfdecided', properties: { dealname: 'Half Decided', amount: '50000' } });
    await models.Run.create(dealRun('run_halfdecided', { dealname: 'Half Decided', amount: '50000' }));
    await until(async () => models.Run.findOne({ _id: 'run_halfdecided', status: 'WAITING_APPROVAL' }).lean(), 15_000, 'WAITING_APPROVAL');
    const approval = await until(async () => models.Approval.findOne({ runId: 'run_halfdecided', status: 'PENDING' }).lean(), 5000, 'approval');
    for (const e of engines.splice(0)) await e.stop();
    // What decideApproval's one atomic update leaves behind when the process dies right after it.
    await models.Approval.updateOne({ _id: approval._id, status: 'PENDING' }, { $set: { status: 'APPROVED', decision: 'approve', decidedBy: 'UADMIN1', decidedAt: new Date() } });
    expect((await models.Run.findById('run_halfdecided').lean())?.pendingResume).toBeUndefined();

    await engine();
    const run = await until(async () => models.Run.findOne({ _id: 'run_halfdecided', status: 'COMPLETED' }).lean(), 15_000, 'COMPLETED after restart');
    expect((run.result as { outcome?: string }).outcome).not.toBe('pending');
    expect(run.steps.filter((st) => st.name === 'approval' && st.status === 'completed')).toHaveLength(1);
  });
});

describe('node wrapper', () => {
  const state = (runId: string) => ({ runId }) as RunStateValue;
  const wrap = () => createNodeWrapper({ models, logger: createLogger({ level: 'error' }), retries: 3, minTimeoutMs: 5, maxTimeoutMs: 20 });

  it('when a step fails transiently twice, then it is retried and recorded as completed on attempt 3', async () => {
    await models.Run.create({ ...dealRun('run_wrap1', {}), status: 'RUNNING' as const });
    let calls = 0;
    const node = wrap()('flaky', async () => {
      calls += 1;
      if (calls < 3) throw new IntegrationError({ service: 'airtable', kind: calls === 1 ? 'transient' : 'rate_limited', message: 'busy' });
      return { outcome: 'ok' };
    });
    await expect(node(state('run_wrap1'))).resolves.toEqual({ outcome: 'ok' });
    const run = await models.Run.findById('run_wrap1').lean();
    expect(run?.steps).toEqual([expect.objectContaining({ name: 'flaky', status: 'completed', attempt: 3 })]);
  });

  it('when a step fails with invalid input, then it is not retried and the step is recorded as failed', async () => {
    await models.Run.create({ ...dealRun('run_wrap2', {}), status: 'RUNNING' as const });
    let calls = 0;
    const node = wrap()('bad', async () => {
      calls += 1;
      throw new IntegrationError({ service: 'hubspot', kind: 'invalid_input', message: 'property does not exist' });
    });
    await expect(node(state('run_wrap2'))).rejects.toThrow('property does not exist');
    expect(calls).toBe(1);
    const run = await models.Run.findById('run_wrap2').lean();
    expect(run?.steps[0]).toMatchObject({ name: 'bad', status: 'failed', errorClass: 'invalid_input', error: 'hubspot: property does not exist' });
  });

  it('when a step runs longer than STEP_VISIBLE_AFTER_MS, then it shows as running meanwhile and ends as one completed entry', async () => {
    await models.Run.create({ ...dealRun('run_wrap4', {}), status: 'RUNNING' as const });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const wrapper = wrap();
    const fast = wrapper('quick', async () => ({ outcome: 'first' }));
    await fast(state('run_wrap4'));
    const slow = wrapper('slow', async () => {
      await gate;
      return { outcome: 'done' };
    });
    const done = slow(state('run_wrap4'));
    await until(async () => (await models.Run.findById('run_wrap4').lean())?.steps.length === 2);
    const during = await models.Run.findById('run_wrap4').lean();
    expect(during?.steps.map((x) => [x.name, x.status])).toEqual([['quick', 'completed'], ['slow', 'running']]);
    release();
    await done;
    const after = await models.Run.findById('run_wrap4').lean();
    expect(after?.steps.map((x) => [x.name, x.status])).toEqual([['quick', 'completed'], ['slow', 'completed']]);
    expect(after?.steps[1]?.durationMs).toBeGreaterThanOrEqual(STEP_VISIBLE_AFTER_MS - 5);
  });

  it('when showing a slow step as running fails, then the step still ends with its own outcome, recorded once', async () => {
    await models.Run.create({ ...dealRun('run_wrap5', {}), status: 'RUNNING' as const });
    // steps is not an array for a moment: the "running" $push is refused by the database.
    await models.Run.collection.updateOne({ _id: 'run_wrap5' as never }, { $set: { steps: 'not an array' } });
    const ended: unknown[] = [];
    const warned = new Promise<string>((resolve) => {
      const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (String(chunk).includes('could not show a slow step') && resolve(String(chunk)), done()) });
      const node = createNodeWrapper({ models, logger: createLogger({ level: 'warn', stream }), retries: 0 })('slow', async () => {
        await warned;
        return { outcome: 'written' };
      });
      void node(state('run_wrap5')).then((out) => ended.push(out));
    });
    expect(await warned).toContain('run_wrap5');
    await models.Run.collection.updateOne({ _id: 'run_wrap5' as never }, { $set: { steps: [] } });
    await until(async () => ended.length === 1);
    expect(ended).toEqual([{ outcome: 'written' }]);
    const run = await models.Run.findById('run_wrap5').lean();
    expect(run?.steps.map((x) => [x.name, x.status])).toEqual([['slow', 'completed']]);
  });

  it('when the run was cancelled, then the next step does not start', async () => {
    await models.Run.create({ ...dealRun('run_wrap3', {}), status: 'RUNNING' as const, cancelRequested: true });
    const node = wrap()('never', async () => ({ outcome: 'ran' }));
    await expect(node(state('run_wrap3'))).rejects.toThrow('run cancelled');
  });
});
