import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongo } from 'mongoose';
import neo4j from 'neo4j-driver';
import { neo4jUri } from '../helpers/db.ts';
import type { AppContext } from '../../src/context.ts';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Registry } from 'prom-client';
import { forgetContact } from '../../src/services/forget.ts';
import { createIngestMetrics } from '../../src/ingest/metrics.ts';
import { hubspotWebhookHandlers, WEBHOOK_PATH } from '../../src/ingest/receiver.ts';
import { creation, hubspotPoster, until } from '../helpers/ingest.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { reconcileContext } from '../helpers/reconcile.ts';

/** Issue 14: forgetting a contact removes its email from every collection, keeping ids and decisions. */
let fakes: Fakes;
let ctx: AppContext;
let close: () => Promise<void>;
const EMAIL = 'Jane.Doe@Acme-Bank.com';
const OTHER = 'keep.me@other.com';

beforeAll(async () => {
  fakes = await startFakes();
  ({ ctx, close } = await reconcileContext('forget', fakes));
});
afterAll(async () => {
  await close?.();
  await fakes?.stop();
});

/** What orch stores for contact 501 after an email change, a run, an approval and a mirror write (the shapes the app writes). */
async function seed() {
  const m = ctx.models;
  const ev = (objectId: string, email: string, id: string) => ({ eventId: 1, portalId: 1, occurredAt: 1, subscriptionType: 'contact.propertyChange', objectId: Number(objectId), propertyName: 'email', propertyValue: email, _k: id });
  const body = JSON.stringify([ev('501', EMAIL, 'a'), ev('502', OTHER, 'b')]);
  await m.WebhookBatch.collection.insertOne({ _id: 'whb_1' as never, sha256: 'x', body, events: 2, receivedAt: new Date() });
  await m.WebhookEvent.collection.insertMany([
    { _id: 'evt_1' as never, dedupeKey: 'k1', subscriptionType: 'contact.propertyChange', objectType: 'contact', objectId: '501', propertyName: 'email', propertyValue: EMAIL, status: 'processed', batchId: 'whb_1', raw: ev('501', EMAIL, 'a'), receivedAt: new Date() },
    { _id: 'evt_2' as never, dedupeKey: 'k2', subscriptionType: 'contact.propertyChange', objectType: 'contact', objectId: '502', propertyName: 'email', propertyValue: OTHER, status: 'processed', batchId: 'whb_1', raw: ev('502', OTHER, 'b'), receivedAt: new Date() },
  ]);
  await m.PendingUnit.collection.insertOne({ _id: 'contact:501' as never, objectType: 'contact', objectId: '501', events: [{ id: 'evt_1', st: 'contact.propertyChange', at: new Date(), pn: 'email', pv: EMAIL }], dueAt: new Date() });
  await m.IngestInbox.collection.insertOne({ _id: 'whb_1' as never, receivedAt: new Date(), objects: [{ t: 'contact', i: '501', p: 1, e: [{ id: 'evt_1', st: 'contact.propertyChange', at: new Date(), pn: 'email', pv: EMAIL }] }] });
  await m.Run.collection.insertOne({
    _id: 'run_c501' as never, workflowId: 'contact-role-mapping', status: 'COMPLETED', objectType: 'contact', objectId: '501', correlationKey: 'contact:501:1:contact-role-mapping',
    envelope: { meta: { objectType: 'contact', objectId: '501', eventIds: ['evt_1'] }, payload: { properties: { email: EMAIL, firstname: 'Jane' } } },
    result: { approvalId: 'apr_c501', writes: [{ system: 'airtable', target: 'Contacts', op: 'create', performed: true, recordId: 'recC501' }], record: { email: EMAIL } },
    createdAt: new Date(),
  });
  await m.Approval.collection.insertOne({
    _id: 'apr_c501' as never, runId: 'run_c501', step: 'approval', workflowId: 'contact-role-mapping', objectType: 'contact', objectId: '501', title: `Jane Doe <${EMAIL}>`, status: 'APPROVED',
    fields: [{ label: 'Email', value: EMAIL }], diff: [{ field: 'Email', old: null, new: EMAIL }], intendedWrites: [{ system: 'airtable', fields: { Email: EMAIL } }],
    policy: { name: 'contact-role-mapping', version: 3 }, decision: 'approve', decidedBy: 'UADMIN1', decidedAt: new Date(), requestedAt: new Date(),
  });
  await m.Exception.collection.insertOne({ _id: 'exc_c501' as never, type: 'field_drift', severity: 'low', objectType: 'contact', objectId: '501', status: 'open', openKey: 'field_drift:contact:501', title: `Email differs for ${EMAIL}`, diff: [{ field: 'Email', hubspot: EMAIL }], firstSeenAt: new Date(), lastSeenAt: new Date() });
  // The LangGraph checkpoint of that run holds the state (serialized).
  await ctx.mongo.conn.db!.collection('checkpoints').insertOne({ thread_id: 'run_c501', checkpoint_ns: '', checkpoint_id: '1', checkpoint: new mongo.Binary(Buffer.from(JSON.stringify({ email: EMAIL }))) });
  await ctx.mongo.conn.db!.collection('checkpoint_writes').insertOne({ thread_id: 'run_c501', checkpoint_ns: '', checkpoint_id: '1', task_id: 't', idx: 0, value: new mongo.Binary(Buffer.from(EMAIL)) });
  fakes.airtable.add('Contacts', { 'HubSpot Id': '501', Email: EMAIL, Name: 'Jane Doe' }, 'recC501');
}

/** Every document of every collection as text (binary fields decoded), to grep. */
async function everything(): Promise<string> {
  const db = ctx.mongo.conn.db!;
  const out: string[] = [];
  for (const { name } of await db.listCollections().toArray()) {
    for (const doc of await db.collection(name).find({}).toArray()) out.push(`${name}: ${JSON.stringify(doc, (_k, v: unknown) => (v && typeof v === 'object' && (v as { _bsontype?: string })._bsontype === 'Binary' ? Buffer.from((v as mongo.Binary).buffer).toString('utf8') : v))}`);
  }
  return out.join('\n');
}

describe('forget a contact', () => {
  it('when contact 501 is forgotten, then its email is in no collection and not in the mirror, ids, decisions and policy versions stay with a forgotten stamp, other contacts are untouched, and it is audited', async () => {
    await seed();
    expect((await everything()).toLowerCase()).toContain(EMAIL.toLowerCase());
    const res = await forgetContact(ctx, { contactId: '501', actor: 'UADMIN1', reason: 'GDPR erasure request #42' });
    expect(res).toMatchObject({ events: 1, batches: 1, runs: 1, approvals: 1, exceptions: 1, mirror: 'deleted' });

    const all = (await everything()).toLowerCase();
    const hits = all.split('\n').filter((l) => l.includes(EMAIL.toLowerCase()));
    expect(hits, 'documents still holding the email').toEqual([]);
    expect(all).toContain(OTHER);
    expect([...fakes.airtable.table('Contacts').keys()]).not.toContain('recC501');

    const approval = await ctx.models.Approval.findById('apr_c501').lean();
    expect(approval).toMatchObject({ runId: 'run_c501', status: 'APPROVED', decision: 'approve', decidedBy: 'UADMIN1', policy: { name: 'contact-role-mapping', version: 3 }, forgotten: { by: 'UADMIN1', reason: 'GDPR erasure request #42' } });
    expect(approval?.forgotten?.at).toBeInstanceOf(Date);
    expect(await ctx.models.Run.findById('run_c501').lean()).toMatchObject({ status: 'COMPLETED', forgotten: { by: 'UADMIN1' } });
    const entry = await ctx.models.AuditEntry.findOne({ action: 'pii.forget', target: 'contact:501' }).lean();
    expect(entry).toMatchObject({ actor: 'UADMIN1', reason: 'GDPR erasure request #42' });
    expect(JSON.stringify(entry).toLowerCase()).not.toContain(EMAIL.toLowerCase());
  });

  it('when the Contacts row was not created by orch, then it is kept', async () => {
    fakes.airtable.add('Contacts', { 'HubSpot Id': '777', Email: 'human@row.com' }, 'recHuman');
    const res = await forgetContact(ctx, { contactId: '777', actor: 'hubspot:privacyDeletion', reason: 'HubSpot privacy deletion' });
    expect(res.mirror).toBe('kept_not_created_by_orch');
    expect([...fakes.airtable.table('Contacts').keys()]).toContain('recHuman');
  });

  it("when HubSpot sends contact.privacyDeletion for a contact, then orch forgets it the same way, audited as HubSpot's request", async () => {
    await ctx.models.Approval.collection.insertOne({ _id: 'apr_c901' as never, runId: 'run_c901', step: 'approval', workflowId: 'contact-role-mapping', objectType: 'contact', objectId: '901', title: 'mail@gone.com', status: 'REJECTED', fields: [{ label: 'Email', value: 'mail@gone.com' }], requestedAt: new Date() });
    const app = express();
    const onPrivacyDeletion = (contactId: string) => void forgetContact(ctx, { contactId, actor: 'hubspot:privacyDeletion', reason: 'HubSpot contact.privacyDeletion' });
    app.post(WEBHOOK_PATH, ...hubspotWebhookHandlers({ models: ctx.models, logger: ctx.logger, metrics: createIngestMetrics(new Registry()), clientSecret: 's3cret-forget', publicUrl: 'https://orch.test', onPrivacyDeletion }));
    const server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const post = hubspotPoster(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'https://orch.test', 's3cret-forget');
      const res = await post([{ ...creation('contact', 901), subscriptionType: 'contact.privacyDeletion' }]);
      expect(res.status).toBe(200);
      const entry = await until(async () => ctx.models.AuditEntry.findOne({ action: 'pii.forget', target: 'contact:901' }).lean(), 10_000, 'the forget audit entry');
      expect(entry).toMatchObject({ actor: 'hubspot:privacyDeletion' });
      expect(JSON.stringify(await ctx.models.Approval.findById('apr_c901').lean())).not.toContain('mail@gone.com');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("when lineage is on, then the contact's event and record nodes are removed and its run and approval nodes stay", async () => {
    const driver = neo4j.driver(neo4jUri(), neo4j.auth.basic('neo4j', ''), { disableLosslessIntegers: true });
    const session = driver.session();
    try {
      await session.run("MERGE (r:Run {id: 'run_n601'}) MERGE (e:Event {id: 'evt_n601'}) MERGE (e)-[:TRIGGERED]->(r) MERGE (a:Approval {id: 'apr_n601'}) MERGE (r)-[:DECIDED_BY]->(a) MERGE (rec:Record {system: 'hubspot', id: 'contact:601'}) MERGE (r)-[:WROTE]->(rec)");
      await ctx.models.WebhookEvent.collection.insertOne({ _id: 'evt_n601' as never, dedupeKey: 'kn601', subscriptionType: 'contact.creation', objectType: 'contact', objectId: '601', status: 'processed', batchId: 'whb_none', raw: {}, receivedAt: new Date() });
      const res = await forgetContact({ ...ctx, neo4j: driver }, { contactId: '601', actor: 'UADMIN1', reason: 'test' });
      expect(res.lineage).toBe(2);
      const left = await session.run("MATCH (n) WHERE n.id IN ['run_n601', 'evt_n601', 'apr_n601', 'contact:601'] RETURN n.id AS id ORDER BY id");
      expect(left.records.map((r) => r.get('id'))).toEqual(['apr_n601', 'run_n601']);
    } finally {
      await session.close();
      await driver.close();
    }
  });
});
