import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebClient, WebClientEvent, retryPolicies } from '@slack/web-api';
import { Client as HubSpotClient } from '@hubspot/api-client';
import Airtable from 'airtable';
import { Client as NotionClient } from '@notionhq/client';
import OpenAI from 'openai';
import { startFakes, type Fakes } from '../fakes/index.ts';

/** Each fake is checked through the real SDK the app uses, pointed at the fake's URL. */
let fakes: Fakes;
beforeAll(async () => {
  fakes = await startFakes();
});
afterAll(async () => {
  await fakes.stop();
});
beforeEach(() => fakes.reset());

describe('Slack fake through @slack/web-api', () => {
  const client = () => new WebClient(fakes.env().SLACK_BOT_TOKEN, { slackApiUrl: fakes.env().SLACK_API_URL, retryConfig: retryPolicies.rapidRetryPolicy });

  it('when auth.test is called, then it answers with the bot identity', async () => {
    const r = await client().auth.test();
    expect(r).toMatchObject({ ok: true, user_id: 'UORCHBOT', bot_id: 'BORCHBOT' });
  });

  it('when a message with blocks is posted to a channel name and updated, then the fake holds the current content and the history', async () => {
    const web = client();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hello*' } }];
    const posted = await web.chat.postMessage({ channel: 'orch-approvals', text: 'hello', blocks });
    expect(posted.channel).toBe(fakes.slack.channelId('orch-approvals'));
    await web.chat.postMessage({ channel: posted.channel as string, thread_ts: posted.ts as string, text: 'reply' });
    await web.chat.update({ channel: posted.channel as string, ts: posted.ts as string, text: 'bye', blocks: [] });
    const msg = fakes.slack.message('orch-approvals', posted.ts as string);
    expect(msg).toMatchObject({ text: 'bye', blocks: [] });
    expect(msg?.edits[0]).toMatchObject({ text: 'hello', blocks });
    expect(fakes.slack.messagesIn('orch-approvals').map((m) => m.thread_ts)).toEqual([undefined, posted.ts]);
  });

  it('when ephemeral, home, modal and DM calls are made, then each lands in its state', async () => {
    const web = client();
    await web.chat.postEphemeral({ channel: 'C1234567', user: 'U1', text: 'only you' });
    await web.views.publish({ user_id: 'U1', view: { type: 'home', blocks: [] } });
    const opened = await web.views.open({ trigger_id: 't1', view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] } });
    await web.views.update({ view_id: opened.view?.id as string, view: { type: 'modal', title: { type: 'plain_text', text: 'y' }, blocks: [] } });
    const dm = await web.conversations.open({ users: 'U1' });
    expect(fakes.slack.ephemerals[0]).toMatchObject({ channel: 'C1234567', user: 'U1', text: 'only you' });
    expect(fakes.slack.views.get('U1')?.view).toMatchObject({ type: 'home' });
    expect(fakes.slack.openedViews[0]?.view).toMatchObject({ title: { text: 'y' } });
    expect(dm.channel?.id).toBe('DU1');
  });

  it('when a user is looked up by email, then only seeded users are found', async () => {
    const web = client();
    fakes.slack.addUser({ id: 'U42', email: 'ada@example.com', name: 'ada' });
    const found = await web.users.lookupByEmail({ email: 'ADA@example.com' });
    expect(found.user?.id).toBe('U42');
    await expect(web.users.lookupByEmail({ email: 'nobody@example.com' })).rejects.toMatchObject({ data: { error: 'users_not_found' } });
    expect((await web.users.info({ user: 'U42' })).user?.profile?.email).toBe('ada@example.com');
  });

  it('when the fake answers 429 with Retry-After, then the WebClient waits and retries', async () => {
    const web = client();
    let rateLimited = 0;
    web.on(WebClientEvent.RATE_LIMITED, () => rateLimited++);
    fakes.slack.inject({ match: 'chat.postMessage', status: 429, retryAfter: 1 });
    const started = Date.now();
    const r = await web.chat.postMessage({ channel: 'C1234567', text: 'after the wait' });
    expect(r.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(rateLimited).toBe(1);
    expect(fakes.slack.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(fakes.slack.messagesIn('C1234567')).toHaveLength(1);
  });

  it('when a call is awaited with waitFor, then it resolves once the call arrives', async () => {
    const waiting = fakes.slack.waitFor((c) => c.path === '/api/chat.postMessage' && (c.body as { text?: string }).text === 'later');
    await client().chat.postMessage({ channel: 'C1234567', text: 'later' });
    await expect(waiting).resolves.toMatchObject({ status: 200 });
    await expect(fakes.slack.waitFor('views.publish', 50)).rejects.toThrow(/no matching call/);
  });

  it('when an injection has times and a match, then only matching calls get it, that many times', async () => {
    const web = new WebClient(fakes.env().SLACK_BOT_TOKEN, { slackApiUrl: fakes.env().SLACK_API_URL, retryConfig: { retries: 0 } });
    fakes.slack.inject({ match: /chat\.update$/, status: 500, times: 2 });
    await web.chat.postMessage({ channel: 'C1234567', text: 'unaffected' });
    await expect(web.chat.update({ channel: 'C1234567', ts: '1.1', text: 'x' })).rejects.toThrow();
    await expect(web.chat.update({ channel: 'C1234567', ts: '1.1', text: 'x' })).rejects.toThrow();
    await expect(web.chat.update({ channel: 'C1234567', ts: '1.1', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
    expect(fakes.slack.calls.map((c) => [c.path, c.status, c.injected ?? false])).toEqual([
      ['/api/chat.postMessage', 200, false],
      ['/api/chat.update', 500, true],
      ['/api/chat.update', 500, true],
      ['/api/chat.update', 200, false],
    ]);
    fakes.slack.inject({ status: 503, times: Infinity });
    fakes.reset();
    expect((await web.auth.test()).ok).toBe(true);
  });

  it('when a response_url is posted to, then the fake records it', async () => {
    const url = fakes.slack.responseUrl('abc');
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'done', response_type: 'ephemeral' }) });
    expect(res.status).toBe(200);
    expect(fakes.slack.responses).toEqual([expect.objectContaining({ id: 'abc', body: { text: 'done', response_type: 'ephemeral' } })]);
  });
});

describe('HubSpot fake through @hubspot/api-client', () => {
  const client = () => new HubSpotClient({ accessToken: fakes.env().HUBSPOT_ACCESS_TOKEN, basePath: fakes.env().HUBSPOT_API_URL, numberOfApiCallRetries: 0 });

  it('when a company is read with properties and associations, then the SDK gets HubSpot-shaped objects', async () => {
    fakes.hubspot.put('company', { id: '101', properties: { name: 'Acme', domain: 'acme.com' }, associations: { contacts: ['201', '202'] } });
    fakes.hubspot.put('contact', { id: '201', properties: { email: 'a@acme.com' } });
    const hs = client();
    const c = await hs.crm.companies.basicApi.getById('101', ['name', 'industry'], undefined, ['contacts']);
    expect(c.id).toBe('101');
    expect(c.properties).toMatchObject({ name: 'Acme', industry: null, hs_object_id: '101' });
    expect(c.associations?.contacts?.results.map((r) => r.id)).toEqual(['201', '202']);
    const q = fakes.hubspot.callsTo('GET /crm/v3/objects/companies/101')[0];
    expect(q?.headers.authorization).toBe(`Bearer ${fakes.env().HUBSPOT_ACCESS_TOKEN}`);
  });

  it('when an unknown object is read, then the SDK throws a 404 with HubSpot error body', async () => {
    await expect(client().crm.companies.basicApi.getById('999')).rejects.toMatchObject({ code: 404, body: { category: 'OBJECT_NOT_FOUND' } });
  });

  it('when ids are batch read, then found objects come back and missing ones are reported', async () => {
    fakes.hubspot.put('deals', { id: '1', properties: { dealname: 'D1', amount: '100' } });
    const r = await client().crm.deals.batchApi.read({ inputs: [{ id: '1' }, { id: '2' }], properties: ['amount'], propertiesWithHistory: [] });
    expect(r.results.map((o) => [o.id, o.properties.amount])).toEqual([['1', '100']]);
    expect(fakes.hubspot.callsTo('batch/read')[0]?.status).toBe(207);
  });

  it('when an object is updated, then the fake stores it and bumps hs_lastmodifieddate', async () => {
    fakes.hubspot.put('companies', { id: '7', properties: { name: 'Old', hs_lastmodifieddate: '2020-01-01T00:00:00.000Z' } });
    const r = await client().crm.companies.basicApi.update('7', { properties: { name: 'New' } });
    expect(r.properties.name).toBe('New');
    expect(fakes.hubspot.get('company', '7')?.properties.hs_lastmodifieddate).not.toBe('2020-01-01T00:00:00.000Z');
  });

  it('when objects are listed in pages, then paging.next.after walks all of them once', async () => {
    for (let i = 1; i <= 25; i++) fakes.hubspot.put('contacts', { id: String(i), properties: { email: `c${i}@x.com` } });
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await client().crm.contacts.basicApi.getPage(10, after, ['email']);
      seen.push(...page.results.map((r) => r.id));
      after = page.paging?.next?.after;
    } while (after);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => String(i + 1)));
  });

  it('when associations are read through v4, then both directions answer with type ids', async () => {
    fakes.hubspot.put('deal', { id: '55', properties: {}, associations: { companies: ['101'] } });
    fakes.hubspot.put('company', { id: '101', properties: {} });
    const fromDeal = await client().crm.associations.v4.basicApi.getPage('deals', '55', 'companies');
    expect(fromDeal.results).toEqual([expect.objectContaining({ toObjectId: 101 })]);
    const fromCompany = await client().crm.associations.v4.basicApi.getPage('companies', '101', 'deals');
    expect(fromCompany.results.map((r) => String(r.toObjectId))).toEqual(['55']);
  });

  it('when two companies are merged, then the old id reads as the survivor with its associations', async () => {
    fakes.hubspot.put('company', { id: '1', properties: { name: 'Keep' } });
    fakes.hubspot.put('company', { id: '2', properties: { name: 'Gone' }, associations: { contacts: ['9'] } });
    fakes.hubspot.merge('company', '1', '2');
    const c = await client().crm.companies.basicApi.getById('2', ['name', 'hs_merged_object_ids'], undefined, ['contacts']);
    expect(c).toMatchObject({ id: '1', properties: { name: 'Keep', hs_merged_object_ids: '2' } });
    expect(c.associations?.contacts?.results.map((r) => r.id)).toEqual(['9']);
  });

  it('when the rate limit is exceeded, then the fake answers 429 TEN_SECONDLY_ROLLING', async () => {
    fakes.hubspot.put('company', { id: '1', properties: {} });
    fakes.hubspot.rateLimit({ per10s: 3 });
    const hs = client();
    for (let i = 0; i < 3; i++) await hs.crm.companies.basicApi.getById('1');
    await expect(hs.crm.companies.basicApi.getById('1')).rejects.toMatchObject({ code: 429, body: { policyName: 'TEN_SECONDLY_ROLLING' } });
  });

  it('when a 5xx is injected once and the SDK retries, then the second attempt succeeds', async () => {
    fakes.hubspot.put('company', { id: '1', properties: { name: 'A' } });
    fakes.hubspot.inject({ match: /GET \/crm\/v3\/objects\/companies\/1$/, status: 502 });
    const hs = new HubSpotClient({ accessToken: 'x', basePath: fakes.hubspot.url, numberOfApiCallRetries: 2 });
    const c = await hs.crm.companies.basicApi.getById('1');
    expect(c.properties.name).toBe('A');
    expect(fakes.hubspot.calls.map((x) => x.status)).toEqual([502, 200]);
  });

  it('when no bearer token is sent, then the fake answers 401', async () => {
    const res = await fetch(`${fakes.hubspot.url}/crm/v3/objects/companies/1`);
    expect(res.status).toBe(401);
  });

  it('when an owner is seeded, then the owners API returns the email', async () => {
    fakes.hubspot.addOwner({ id: '77', email: 'owner@example.com', firstName: 'O' });
    const o = await client().crm.owners.ownersApi.getById(77);
    expect(o.email).toBe('owner@example.com');
  });
});

describe('Airtable fake through the airtable package', () => {
  const base = () => new Airtable({ apiKey: fakes.env().AIRTABLE_API_KEY, endpointUrl: fakes.env().AIRTABLE_API_URL, noRetryIfRateLimited: true }).base(fakes.env().AIRTABLE_BASE_ID as string);

  it('when 250 records are listed with pageSize 100, then eachPage walks three pages with every record once', async () => {
    for (let i = 0; i < 250; i++) fakes.airtable.add('Accounts', { 'HubSpot ID': String(i), Name: `A${i}` });
    const sizes: number[] = [];
    const ids = new Set<string>();
    await base()('Accounts').select({ pageSize: 100, fields: ['Name'] }).eachPage((records, next) => {
      sizes.push(records.length);
      for (const r of records) ids.add(r.id);
      expect(Object.keys(records[0]?.fields ?? {})).toEqual(['Name']);
      next();
    });
    expect(sizes).toEqual([100, 100, 50]);
    expect(ids.size).toBe(250);
  });

  it('when a filterByFormula with OR is given, then only matching records come back', async () => {
    fakes.airtable.add('Accounts', { 'HubSpot ID': '1', Name: 'A' });
    fakes.airtable.add('Accounts', { 'HubSpot ID': '2', Name: "B's" });
    fakes.airtable.add('Accounts', { 'HubSpot ID': '3', Name: 'C' });
    const rows = await base()('Accounts').select({ filterByFormula: "OR({HubSpot ID}='1', {Name}=\"B's\")" }).all();
    expect(rows.map((r) => r.get('HubSpot ID')).sort()).toEqual(['1', '2']);
    await expect(base()('Accounts').select({ filterByFormula: 'SEARCH("x", {Name})' }).all()).rejects.toMatchObject({ statusCode: 422, error: 'INVALID_FILTER_BY_FORMULA' });
  });

  it('when records are created, updated, upserted and deleted, then the table reflects each step', async () => {
    const table = base()('Accounts');
    const [created] = await table.create([{ fields: { 'HubSpot ID': '9', Name: 'Nine' } }]);
    await table.update([{ id: created?.id as string, fields: { Name: 'Nine!' } }]);
    const upserted = await table.update([{ fields: { 'HubSpot ID': '9', Tier: 'Gold' } }, { fields: { 'HubSpot ID': '10', Name: 'Ten' } }] as never, { performUpsert: { fieldsToMergeOn: ['HubSpot ID'] } } as never);
    expect(upserted).toHaveLength(2);
    const rows = [...fakes.airtable.table('Accounts').values()];
    expect(rows.map((r) => r.fields).sort((a, b) => String(a['HubSpot ID']).localeCompare(String(b['HubSpot ID'])))).toEqual([
      { 'HubSpot ID': '10', Name: 'Ten' },
      { 'HubSpot ID': '9', Name: 'Nine!', Tier: 'Gold' },
    ]);
    const last = fakes.airtable.callsTo('PATCH /v0/')[1];
    expect(last?.status).toBe(200);
    await table.destroy(created?.id as string);
    expect(fakes.airtable.table('Accounts').size).toBe(1);
    await expect(table.find(created?.id as string)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('when more than 10 records or an unknown field are written, then Airtable answers 422', async () => {
    fakes.airtable.defineTable('Strict', ['Name']);
    const many = Array.from({ length: 11 }, (_, i) => ({ fields: { Name: String(i) } }));
    await expect(base()('Strict').create(many)).rejects.toMatchObject({ statusCode: 422, error: 'INVALID_RECORDS' });
    await expect(base()('Strict').create([{ fields: { Nope: 'x' } }])).rejects.toMatchObject({ statusCode: 422, error: 'UNKNOWN_FIELD_NAME' });
  });

  it('when the per-second rate limit is exceeded, then the extra request gets 429', async () => {
    fakes.airtable.rateLimit({ perSecond: 2 });
    const table = base()('Accounts');
    await table.select().firstPage();
    await table.select().firstPage();
    await expect(table.select().firstPage()).rejects.toMatchObject({ statusCode: 429 });
  });
});

describe('Notion fake through @notionhq/client', () => {
  const notion = () => new NotionClient({ auth: fakes.env().NOTION_TOKEN, baseUrl: fakes.env().NOTION_API_URL, retry: false });

  it('when the SOP database is queried with a filter, then the matching page comes back with title and url', async () => {
    const db = fakes.notion.addDatabase({ title: 'SOPs' });
    fakes.notion.addPage({ title: 'Software onboarding', databaseId: db, properties: { Industry: 'Software', Stage: ['customer'] } });
    fakes.notion.addPage({ title: 'Retail onboarding', databaseId: db, properties: { Industry: 'Retail' } });
    const r = await notion().dataSources.query({ data_source_id: db, filter: { or: [{ property: 'Industry', select: { equals: 'Software' } }, { property: 'Stage', multi_select: { contains: 'lead' } }] } });
    expect(r.results).toHaveLength(1);
    const page = r.results[0] as unknown as { url: string; properties: { Name: { title: { plain_text: string }[] } } };
    expect(page.properties.Name.title[0]?.plain_text).toBe('Software onboarding');
    expect(page.url).toMatch(/^https:\/\/www\.notion\.so\//);
    const legacy = await fetch(`${fakes.notion.url}/v1/databases/${db}/query`, { method: 'POST', headers: { authorization: 'Bearer x', 'content-type': 'application/json' }, body: '{}' });
    expect(((await legacy.json()) as { results: unknown[] }).results).toHaveLength(2);
  });

  it('when pages are searched, created, read and updated, then the fake keeps them', async () => {
    fakes.notion.addPage({ id: 'p1', title: 'Escalation SOP' });
    const found = await notion().search({ query: 'escalation', filter: { property: 'object', value: 'page' } });
    expect(found.results.map((p) => p.id)).toEqual(['p1']);
    const created = await notion().pages.create({ parent: { page_id: 'p1' }, properties: { title: { title: [{ text: { content: 'Child' } }] } } });
    await notion().pages.update({ page_id: created.id, properties: { Status: { select: { name: 'Done' } } } });
    const read = (await notion().pages.retrieve({ page_id: created.id })) as { properties: Record<string, { type: string }> };
    expect(read.properties.Status?.type).toBe('select');
    await expect(notion().pages.retrieve({ page_id: 'missing' })).rejects.toMatchObject({ status: 404, code: 'object_not_found' });
  });
});

describe('OpenAI fake through the openai package', () => {
  const openai = () => new OpenAI({ apiKey: fakes.env().OPENAI_API_KEY, baseURL: fakes.env().OPENAI_BASE_URL, maxRetries: 2 });

  it('when a JSON-schema completion is asked for, then the default answer is valid enrichment JSON', async () => {
    const r = await openai().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Enrich {"name":"Acme Corp","domain":"acme.com"}' }],
      response_format: { type: 'json_schema', json_schema: { name: 'enrichment', strict: true, schema: { type: 'object' } } },
    });
    const parsed = JSON.parse(r.choices[0]?.message.content ?? '');
    expect(parsed).toMatchObject({ industry: expect.any(String), riskLevel: expect.stringMatching(/^(LOW|MEDIUM|HIGH)$/), summary: expect.stringContaining('Acme Corp') });
    expect(fakes.openai.requests[0]?.response_format?.type).toBe('json_schema');
  });

  it('when respondWith is set and a 429 is injected once, then the SDK retries and gets the custom answer', async () => {
    fakes.openai.respondWith((req) => ({ industry: 'Retail', riskLevel: 'HIGH', summary: String(req.messages.length) }));
    fakes.openai.inject({ match: 'chat/completions', status: 429, retryAfter: 0 });
    const r = await openai().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    expect(JSON.parse(r.choices[0]?.message.content ?? '')).toEqual({ industry: 'Retail', riskLevel: 'HIGH', summary: '1' });
    expect(fakes.openai.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it('when a delay longer than the client timeout is injected, then the SDK times out', async () => {
    fakes.openai.inject({ delayMs: 500 });
    const client = new OpenAI({ apiKey: 'k', baseURL: fakes.env().OPENAI_BASE_URL, maxRetries: 0, timeout: 100 });
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow(/timed out/i);
  });
});
