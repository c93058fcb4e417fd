import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { createModels, type Models } from '../../src/db/models/index.ts';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { uniqueMongoUri } from '../helpers/db.ts';
import { creation, hubspotPoster, propertyChange, until } from '../helpers/ingest.ts';

// A trigger table whose only trigger needs a stage transition FROM contractsent TO closedwon.
const TABLE = {
  fetch: { deal: { properties: ['dealname', 'amount', 'dealstage', 'hs_lastmodifieddate'], associations: [] } },
  triggers: [
    {
      name: 'won-after-contract',
      workflowId: 'procurement-approval',
      objectType: 'deal',
      events: ['deal.creation', 'deal.propertyChange'],
      properties: ['dealstage'],
      stageTransitions: [{ property: 'dealstage', from: ['contractsent'], to: ['closedwon'] }],
    },
  ],
};

let fakes: Fakes;
let app: AppProcess;
let conn: mongoose.Connection;
let db: Models;
let dir: string;
let post: ReturnType<typeof hubspotPoster>;

beforeAll(async () => {
  fakes = await startFakes();
  dir = mkdtempSync(path.join(os.tmpdir(), 'orch-triggers-'));
  writeFileSync(path.join(dir, 'triggers.json'), JSON.stringify(TABLE));
  const { uri } = uniqueMongoUri('transitions');
  app = await startAppProcess({ fakes, mongoUri: uri, env: { ORCH_TRIGGERS_FILE: path.join(dir, 'triggers.json'), ORCH_DEBOUNCE_MS: '100', LOG_LEVEL: 'warn' } });
  post = hubspotPoster(app.url, app.url, app.env.HUBSPOT_CLIENT_SECRET as string);
  conn = await mongoose.createConnection(uri).asPromise();
  db = createModels(conn);
});

afterAll(async () => {
  await app?.stop();
  await conn?.close();
  await fakes?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The deal as HubSpot holds it now, then its stage-change event; resolves once the unit is processed. */
async function moveDeal(id: number, stage: string, modified: number, first = false) {
  fakes.hubspot.put('deals', { id: String(id), properties: { dealname: `Deal ${id}`, amount: '500', dealstage: stage, hs_lastmodifieddate: String(modified) } });
  const ev = first ? creation('deal', id) : propertyChange('deal', id, 'dealstage', stage);
  expect((await post([ev])).status).toBe(200);
  await until(async () => (await db.WebhookEvent.countDocuments({ objectId: String(id), status: 'received' })) === 0 || null, 15_000, `deal ${id} processed`);
}

describe('stage-transition triggers', () => {
  it('when a deal moves from contractsent to closedwon in separate bursts, then the from-stage is known and one run starts; from another stage, none', async () => {
    await moveDeal(7101, 'contractsent', 1, true);
    await moveDeal(7102, 'qualifiedtobuy', 1, true);
    expect(await db.Run.countDocuments({ objectId: { $in: ['7101', '7102'] } })).toBe(0);

    await moveDeal(7101, 'closedwon', 2);
    await moveDeal(7102, 'closedwon', 2);
    const runs = await db.Run.find({ objectId: { $in: ['7101', '7102'] } }).lean();
    expect(runs.map((r) => r.objectId)).toEqual(['7101']);
    expect((runs[0]?.envelope as { payload: { previous?: Record<string, string> } }).payload.previous).toEqual({ dealstage: 'contractsent' });
  });
});
