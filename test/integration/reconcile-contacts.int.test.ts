import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.ts';
import { startFakes, type Fakes } from '../fakes/index.ts';
import { reconcileContext } from '../helpers/reconcile.ts';
import { reconcileContactsNow } from '../../jobs/reconcile-contacts.ts';
import { applyFix } from '../../src/reconcile/fixes.ts';
import type { ExceptionView } from '../../src/reconcile/exceptions.ts';

let fakes: Fakes;
let ctx: AppContext;
let close: () => Promise<void>;

beforeAll(async () => {
  fakes = await startFakes();
  ({ ctx, close } = await reconcileContext('reconcilecontacts', fakes, { ORCH_MODE: 'live' }));
});
afterAll(async () => {
  await close?.();
  await fakes?.stop();
});

const contact = (id: string, over: Record<string, string> = {}) => fakes.hubspot.put('contacts', { id, properties: { firstname: 'Jane', lastname: `Doe${id}`, email: `jane${id}@acme.com`, jobtitle: 'CFO', orch_role: 'finance', ...over } });
const row = (id: string, over: Record<string, unknown> = {}, rid?: string) => fakes.airtable.add('Contacts', { 'HubSpot Id': id, Name: `Jane Doe${id}`, Email: `jane${id}@acme.com`, 'Job Title': 'CFO', Role: 'finance', ...over }, rid);
const open = async () => (await ctx.models.Exception.find({ objectType: 'contact', status: 'open' }).lean()) as unknown as ExceptionView[];

describe('nightly Contacts reconciliation', () => {
  it('when Contacts rows are missing, drifted, duplicated or orphaned, then one exception each with a card, and Apply fixes drift after re-checking', async () => {
    contact('1');
    row('1');
    contact('2', { jobtitle: 'Chief Financial Officer' });
    row('2', {}, 'recDrift2');
    contact('3');
    row('3', {}, 'recDupA');
    row('3', {}, 'recDupB');
    row('4', {}, 'recOrphan4');
    contact('5');
    fakes.hubspot.put('contacts', { id: '6', properties: { firstname: 'Never', lastname: 'Mapped', email: 'x@y.com' } });

    const res = await reconcileContactsNow(ctx);
    expect(res.status).toBe('completed');
    const byKey = Object.fromEntries((await open()).map((e) => [`${e.type}:${e.objectId}`, e]));
    expect(Object.keys(byKey).sort()).toEqual(['duplicate_mirror:3', 'field_drift:2', 'missing_in_mirror:5', 'orphan_in_mirror:4']);
    expect(byKey['field_drift:2']?.diff).toEqual([{ field: 'Job Title', hubspot: 'Chief Financial Officer', mirror: 'CFO' }]);
    const cards = fakes.slack.messages.filter((m) => JSON.stringify(m.blocks ?? []).includes('Contacts'));
    expect(cards.length).toBeGreaterThan(0);

    const fixed = await applyFix(ctx, { id: byKey['field_drift:2']?._id as string, actor: 'UADMIN1' });
    expect(fixed).toMatchObject({ ok: true, outcome: 'applied' });
    expect(fakes.airtable.table('Contacts').get('recDrift2')?.fields['Job Title']).toBe('Chief Financial Officer');

    // The next pass finds the drift gone and closes nothing else; a second identical pass opens nothing new.
    const again = await reconcileContactsNow(ctx);
    expect(again.opened).toHaveLength(0);
    expect((await open()).map((e) => `${e.type}:${e.objectId}`).sort()).toEqual(['duplicate_mirror:3', 'missing_in_mirror:5', 'orphan_in_mirror:4']);
  });
});
