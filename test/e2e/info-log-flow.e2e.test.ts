import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { companyWebhook, click, waitForSheet } from '../helpers/approvals.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { until } from '../helpers/ingest.ts';

let fakes: Fakes;
let app: AppProcess;
beforeAll(async () => {
  fakes = await startFakes();
  app = await startAppProcess({ fakes, mongoUri: uniqueMongoUri('e2einfolog').uri, env: { LOG_LEVEL: 'info', ORCH_MODE: 'live', ORCH_DEBOUNCE_MS: '0', ORCH_RUNS_POLL: '200ms', ORCH_ADMINS: 'UADMIN1' } });
});
afterAll(async () => {
  await app?.stop();
  await fakes?.stop();
});

type Line = Record<string, unknown>;
const lines = (): Line[] => app.logs().split('\n').flatMap((l) => (l.startsWith('{') ? [JSON.parse(l) as Line] : []));

describe('at LOG_LEVEL=info, npm start shows the flow', () => {
  it('when a company goes webhook → run → sheet → Approve → done, then one info line each says so with the ids that tie them together', async () => {
    await companyWebhook(app, fakes, '9301', { name: 'Loggable Bank', domain: 'loggable-bank.com', industry: 'BANKING', numberofemployees: '5000', annualrevenue: '25000000' });
    const sheet = await waitForSheet(fakes, 'Loggable Bank');
    expect((await click(app, sheet, 'approval_approve')).status).toBe(200);
    const done = await until(async () => lines().find((l) => l.message === 'run completed'), 20_000, 'run completed line');
    const runId = done.runId;
    const one = (message: string) => {
      const found = lines().filter((l) => l.message === message && l.level === 'info');
      expect(found, message).toHaveLength(1);
      return found[0] as Line;
    };
    const batch = one('hubspot webhook batch accepted');
    expect(batch.correlationId).toBe(batch.batchId);
    const created = one('run created');
    expect(created).toMatchObject({ runId, workflowId: 'company-intake', objectId: '9301' });
    expect(typeof created.correlationId).toBe('string');
    expect(one('approval sheet posted')).toMatchObject({ runId, correlationId: created.correlationId });
    expect(one('approval decided')).toMatchObject({ runId, decision: 'approve' });
    expect(one('run completed')).toMatchObject({ runId, correlationId: created.correlationId, outcome: expect.any(String) });
  });
});
