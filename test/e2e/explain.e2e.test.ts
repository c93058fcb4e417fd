import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { createModels, type Models } from '../../src/db/models/index.ts';
import { startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { defaultEnrichment, type ChatRequest } from '../fakes/openai.ts';
import { neo4jUri, uniqueMongoUri } from '../helpers/db.ts';
import { until } from '../helpers/ingest.ts';
import { approvalIdOf, click, companyWebhook, dealWebhook, decidedBannerOf, waitForSheet } from '../helpers/approvals.ts';

/**
 * `/orch why`, `/orch policy`, `/orch ask` and the Why? button through signed Slack requests to
 * the real app, twice: with the Neo4j lineage and OpenAI (fake), and with neither (MongoDB and the
 * built-in parser). Both apps live through the same story: a company approved under
 * company-intake v1, then v2 is added; a deal approved; a deal left waiting.
 */
type Reply = { text: string; blocks?: unknown[] };
interface Bed {
  label: 'neo4j' | 'mongodb';
  fakes: Fakes;
  app: AppProcess;
  conn: mongoose.Connection;
  db: Models;
  ids: { company: string; deal: string; pendingDeal: string };
  companyRun: string;
  dealRun: string;
  decidedAt: Date;
  requestedAt: Date;
  v2From: Date;
  sheet: { channel: string; ts: string };
}

const beds: Bed[] = [];
const suffix = String(Date.now() % 100000);

/** The "model" behind the OpenAI fake: maps the phrasings used below to catalogue choices. */
function modelFor(bed: () => Bed | undefined) {
  return (req: ChatRequest) => {
    if (req.response_format?.json_schema?.name !== 'orch_ask_query') return defaultEnrichment(req);
    const b = bed() as Bed;
    const { question, asker } = JSON.parse(String(req.messages.at(-1)?.content)) as { question: string; asker: string };
    const none = { subjectType: null, subjectId: null, user: null, since: null, policyName: null, date: null };
    if (/green light/.test(question)) return { ...none, query: 'who_approved', subjectType: 'deal', subjectId: b.ids.deal };
    if (/reasoning behind/.test(question)) return { ...none, query: 'why_approved', subjectType: 'company', subjectId: b.ids.company };
    if (/touched/.test(question)) return { ...none, query: 'what_changed', subjectType: 'company', subjectId: b.ids.company };
    if (/signed off lately/.test(question)) return { ...none, query: 'approvals_by', user: asker, since: '7d' };
    if (/my plate/.test(question)) return { ...none, query: 'waiting_for_me' };
    if (/rulebook/.test(question)) return { ...none, query: 'policy_on', policyName: 'company-intake', date: b.v2From.toISOString().slice(0, 10) };
    return { ...none, query: 'none' };
  };
}

async function startBed(label: Bed['label']): Promise<Bed> {
  const fakes = await startFakes();
  const { uri } = uniqueMongoUri(`explain${label}`);
  // ORCH_API_TOKEN_WRITES=legacy: the test adds policy v2 with the shared token (personal tokens are another feature).
  const env: Record<string, string> = { ORCH_MODE: 'live', ORCH_RUNS_POLL: '200ms', LOG_LEVEL: 'warn', ORCH_API_TOKEN_WRITES: 'legacy', ...(label === 'mongodb' ? { OPENAI_API_KEY: '' } : {}) };
  const app = await startAppProcess({ fakes, mongoUri: uri, ...(label === 'neo4j' ? { neo4jUri: neo4jUri() } : {}), env });
  const conn = await mongoose.createConnection(uri).asPromise();
  const n = label === 'neo4j' ? '1' : '2';
  const bed = { label, fakes, app, conn, db: createModels(conn), ids: { company: `9${n}${suffix}`, deal: `7${n}${suffix}`, pendingDeal: `8${n}${suffix}` } } as Bed;
  fakes.openai.respondWith(modelFor(() => bed));
  return bed;
}

const finished = (b: Bed, objectId: string) => until(async () => b.db.Run.findOne({ objectId, status: 'COMPLETED' }).lean(), 20_000, `completed run for ${objectId}`);

/** The shared story: company approved under v1, v2 added, a deal approved, another deal waiting. */
async function liveThrough(b: Bed): Promise<void> {
  const name = `Acme Bank ${b.label}`;
  await companyWebhook(b.app, b.fakes, b.ids.company, { name, domain: `acme-${b.label}.example`, industry: 'BANKING', numberofemployees: '5000', annualrevenue: '25000000' });
  const sheet = await waitForSheet(b.fakes, name);
  expect((await click(b.app, sheet, 'approval_approve')).status).toBe(200);
  await until(async () => decidedBannerOf(b.fakes, sheet), 10_000, 'decided banner');
  b.companyRun = String((await finished(b, b.ids.company))._id);
  b.sheet = { channel: sheet.channel, ts: sheet.ts };
  const approval = await b.db.Approval.findById(approvalIdOf(sheet)).lean();
  b.requestedAt = approval?.requestedAt as Date;
  b.decidedAt = approval?.decidedAt as Date;
  b.v2From = new Date();
  const v2 = await b.app.api('POST', '/api/policies', { actor: 'UADMIN1', name: 'company-intake', validFrom: b.v2From.toISOString(), thresholds: { employees: 200 }, rules: [{ id: 'mid_company', description: 'More than 200 employees', when: { field: 'employees', op: 'gt', value: 200 }, level: 'MEDIUM', requiresApproval: true }] });
  expect(v2.status).toBe(201);
  await dealWebhook(b.app, b.fakes, b.ids.deal, { dealname: `Laptops ${b.label}`, amount: '25000', dealstage: 'qualifiedtobuy' });
  const dealSheet = await waitForSheet(b.fakes, `Laptops ${b.label}`);
  await click(b.app, dealSheet, 'approval_approve');
  b.dealRun = String((await finished(b, b.ids.deal))._id);
  await dealWebhook(b.app, b.fakes, b.ids.pendingDeal, { dealname: `Chairs ${b.label}`, amount: '90000' });
  await waitForSheet(b.fakes, `Chairs ${b.label}`);
}

beforeAll(async () => {
  beds.push(await startBed('neo4j'), await startBed('mongodb'));
  // One after the other: the machine is small and each flow polls its own fakes.
  for (const b of beds) await liveThrough(b);
}, 180_000);

afterAll(async () => {
  for (const b of beds) {
    await b.app?.stop();
    await b.conn?.close();
    await b.fakes?.stop();
  }
});

async function orch(b: Bed, text: string, user = 'UADMIN1'): Promise<Reply & { all: string }> {
  const before = b.fakes.slack.responses.length;
  const res = await b.app.slashCommand({ text, user_id: user });
  expect(res.status).toBe(200);
  const r = (await until(async () => b.fakes.slack.responses[before], 15_000, `reply to /orch ${text}`)).body as Reply;
  return { ...r, all: JSON.stringify(r) };
}

const SOURCE = { neo4j: 'Source: *Neo4j lineage*', mongodb: 'Source: *MongoDB* (lineage off: NEO4J_URI is not set)' } as const;

describe.each(['neo4j', 'mongodb'] as const)('/orch why and /orch policy (%s)', (label) => {
  const bed = () => beds.find((b) => b.label === label) as Bed;

  it('when a run approved under company-intake v1 is explained after v2 exists, then the story names its webhook event, the run, the approver, policy v1 with the rules that matched, and the Airtable write', async () => {
    const b = bed();
    const r = await orch(b, `why ${b.companyRun}`, 'UVIEWER1');
    expect(r.all).toContain(SOURCE[label]);
    expect(r.all).toContain('company.creation');
    expect(r.all).toContain(b.companyRun);
    expect(r.all).toContain('Approved by <@UADMIN1>');
    expect(r.all).toContain('Policy *company-intake* v1 in force at the decision');
    expect(r.all).not.toContain('company-intake* v2');
    expect(r.all).toContain('regulated_industry');
    expect(r.all).toMatch(/airtable record `rec\w+`/);
    expect(r.all).toContain('performed');
  });

  it('when a company is explained by its HubSpot id, then the same run and policy v1 are in its story', async () => {
    const b = bed();
    const r = await orch(b, `why company ${b.ids.company}`);
    expect(r.all).toContain(`Why: company ${b.ids.company}`);
    expect(r.all).toContain(b.companyRun);
    expect(r.all).toContain('company-intake* v1');
  });

  it('when a deal is explained, then its procurement approval, the policy and the HubSpot and Airtable writes are shown', async () => {
    const b = bed();
    const r = await orch(b, `why deal ${b.ids.deal}`);
    expect(r.all).toContain(b.dealRun);
    expect(r.all).toContain('procurement-approval* v1');
    expect(r.all).toContain('amount_threshold');
    expect(r.all).toMatch(/hubspot record `(deal:)?\d+`/);
  });

  it('when asked --as-of the moment the sheet was posted, then the approval was still waiting and nothing was written yet', async () => {
    const b = bed();
    const r = await orch(b, `why company ${b.ids.company} --as-of ${b.requestedAt.toISOString()}`);
    expect(r.all).toContain('as of');
    expect(r.all).toContain('Waiting for a decision');
    expect(r.all).not.toContain('Approved by');
    expect(r.all).toContain('4. What was written where (0)');
    const bad = await orch(b, `why company ${b.ids.company} --as-of someday`);
    expect(bad.text).toContain('--as-of');
  });

  it('when a policy is asked for as of a date before v2, then v1 with its rules, validity and author; without a date, v2', async () => {
    const b = bed();
    const old = await orch(b, `policy company-intake --as-of ${b.decidedAt.toISOString()}`);
    expect(old.all).toContain('Policy company-intake v1');
    expect(old.all).toContain('regulated_industry');
    expect(old.all).toContain('created by seed');
    expect(old.all).toContain(`source: ${label === 'neo4j' ? 'Neo4j lineage' : 'MongoDB'}`);
    const now = await orch(b, 'policy company-intake');
    expect(now.all).toContain('Policy company-intake v2');
    expect(now.all).toContain('mid_company');
    expect(now.all).toContain('created by <@UADMIN1>');
  });

  it('when the Why? button of the decided sheet is clicked, then a modal with the same story opens through views.open', async () => {
    const b = bed();
    // The button as the redrawn (decided) sheet carries it: the banner's accessory.
    const decided = b.fakes.slack.message(b.sheet.channel, b.sheet.ts) as { blocks?: { block_id?: string; accessory?: { action_id?: string; value?: string } }[] };
    const why = decided.blocks?.map((x) => x.accessory).find((x) => x?.action_id === 'why_open');
    expect(why?.value).toBe(`run:${b.companyRun}`);
    const opened = b.fakes.slack.openedViews.length;
    const res = await b.app.slackAction({
      user: { id: 'UVIEWER1', username: 'uviewer1' },
      channel: { id: b.sheet.channel, name: 'orch-approvals' },
      message: { type: 'message', ts: b.sheet.ts, blocks: decided.blocks },
      actions: [{ type: 'button', action_id: 'why_open', block_id: 'b1', value: why?.value, action_ts: `${Date.now() / 1000}` }],
    });
    expect(res.status).toBe(200);
    const view = await until(async () => {
      const v = b.fakes.slack.openedViews.slice(opened).find((x) => JSON.stringify(x.view).includes('company-intake* v1'));
      return v;
    }, 10_000, 'Why? modal with the story');
    expect(view.view.type).toBe('modal');
    expect(JSON.stringify(view.view)).toContain('Approved by <@UADMIN1>');
  });

  it('when the Why? button of an exception card is clicked, then the modal tells the story of the card’s company', async () => {
    const b = bed();
    const opened = b.fakes.slack.openedViews.length;
    await b.app.slackAction({ user: { id: 'UVIEWER1', username: 'uviewer1' }, actions: [{ type: 'button', action_id: 'why_open', block_id: `exc_title:exc_x`, value: `company:${b.ids.company}`, action_ts: `${Date.now() / 1000}` }] });
    const view = await until(async () => b.fakes.slack.openedViews.slice(opened).find((x) => JSON.stringify(x.view).includes(`Why: company ${b.ids.company}`) && JSON.stringify(x.view).includes(b.companyRun)), 10_000, 'Why? modal for the company');
    expect(JSON.stringify(view.view)).toContain(SOURCE[label]);
  });
});

describe('/orch ask', () => {
  const neo = () => beds.find((b) => b.label === 'neo4j') as Bed;
  const mon = () => beds.find((b) => b.label === 'mongodb') as Bed;
  const cases = (b: Bed) => [
    { q: { openai: 'who gave the green light for that laptop deal?', parser: `who approved deal ${b.ids.deal}?` }, query: 'who_approved', expect: ['approved by <@UADMIN1>', b.dealRun] },
    { q: { openai: 'what was the reasoning behind the Acme Bank decision?', parser: `why was company ${b.ids.company} approved?` }, query: 'why_approved', expect: ['Under policy *company-intake* v1', 'regulated_industry'] },
    { q: { openai: 'what did orch touched on Acme Bank?', parser: `what changed on company ${b.ids.company}` }, query: 'what_changed', expect: ['Proposed changes', 'written'] },
    { q: { openai: 'what have I signed off lately?', parser: 'which approvals did <@UADMIN1|admin> make since 7d?' }, query: 'approvals_by', expect: ['Approvals decided by <@UADMIN1>', `Laptops ${b.label}`, `Acme Bank ${b.label}`] },
    { q: { openai: "what's on my plate?", parser: 'what is waiting for me?' }, query: 'waiting_for_me', expect: [`Chairs ${b.label}`] },
    { q: { openai: 'which rulebook was active when v2 started?', parser: `which policy applied to company-intake on ${b.v2From.toISOString().slice(0, 10)}?` }, query: 'policy_on', expect: ['Policy company-intake v2'] },
  ];

  it('when each catalogue question is asked with OpenAI configured, then the model only picks the query (strict schema) and orch answers in words with Why? buttons', async () => {
    const b = neo();
    for (const c of cases(b)) {
      const before = b.fakes.openai.requests.length;
      const r = await orch(b, `ask ${c.q.openai}`);
      expect(r.all, c.query).toContain(`Query \`${c.query}\``);
      expect(r.all).toContain('understood by OpenAI');
      for (const e of c.expect) expect(r.all, `${c.query}: ${e}`).toContain(e);
      const req = b.fakes.openai.requests.slice(before).find((x) => x.response_format?.json_schema?.name === 'orch_ask_query');
      expect(req?.response_format?.json_schema?.strict).toBe(true);
      expect(JSON.stringify(req?.response_format?.json_schema?.schema)).not.toMatch(/cypher|filter/i);
    }
  });

  it('when each catalogue question is asked without OpenAI, then the built-in parser maps it and the same answers come back', async () => {
    const b = mon();
    for (const c of cases(b)) {
      const r = await orch(b, `ask ${c.q.parser}`);
      expect(r.all, c.query).toContain(`Query \`${c.query}\``);
      expect(r.all).toContain('understood by the built-in parser');
      for (const e of c.expect) expect(r.all, `${c.query}: ${e}`).toContain(e);
    }
    const why = await orch(b, `ask who approved deal ${b.ids.deal}`);
    expect(why.all).toContain('"action_id":"why_open_0"');
  });

  it('when OpenAI fails (500 twice: the call and its retry), then the parser answers and the answer says so', async () => {
    const b = neo();
    b.fakes.openai.inject({ match: 'POST /v1/chat/completions', status: 500, times: 2 });
    const r = await orch(b, `ask who approved deal ${b.ids.deal}?`);
    expect(r.all).toContain('Query `who_approved`');
    expect(r.all).toContain('understood by the built-in parser');
    expect(r.all).toContain('OpenAI did not answer');
  });

  it('when the model picks a query with an id that does not validate, then nothing runs on it and the list of questions comes back', async () => {
    const b = neo();
    b.fakes.openai.respondWith((req) => (req.response_format?.json_schema?.name === 'orch_ask_query' ? { query: 'who_approved', subjectType: 'deal', subjectId: '1 OR 1=1', user: null, since: null, policyName: null, date: null } : defaultEnrichment(req)));
    try {
      const r = await orch(b, 'ask who signed the thing off?');
      expect(r.all).toContain('Questions I understand');
    } finally {
      b.fakes.openai.respondWith(modelFor(() => b));
    }
  });

  it('when ask has no question, or why has bad arguments, then a one-line usage comes back', async () => {
    const b = mon();
    expect((await orch(b, 'ask')).text).toContain('Usage: `/orch ask');
    expect((await orch(b, 'why ticket 12')).text).toContain('Usage: `/orch why');
    expect((await orch(b, 'policy')).text).toContain('Usage: `/orch policy');
  });

  it('when a forged Why? button names nothing orch knows how to explain, then the modal says so and the attempt is logged', async () => {
    const b = mon();
    const opened = b.fakes.slack.openedViews.length;
    await b.app.slackAction({ user: { id: 'UVIEWER1', username: 'uviewer1' }, actions: [{ type: 'button', action_id: 'why_open', block_id: 'b1', value: 'ticket:<!channel>', action_ts: `${Date.now() / 1000}` }] });
    const view = await until(async () => b.fakes.slack.openedViews[opened], 10_000, 'error modal');
    expect(JSON.stringify(view.view)).toContain('does not name a run or a record');
    await b.app.waitForLog(/why: unusable button value/, 5_000);
  });

  it('when a question cannot be mapped, then the answer lists the questions orch understands (with and without OpenAI)', async () => {
    for (const b of beds) {
      const r = await orch(b, 'ask will it rain <!channel>?');
      expect(r.all).toContain('Questions I understand');
      expect(r.all).toContain('who approved deal 4242?');
      expect(r.all).not.toContain('<!channel>');
    }
  });
});
