import type { Db } from 'mongodb';
import { newId } from '../ids.ts';

/**
 * What orch relies on from its database, checked against the server it got (DESIGN.md §4):
 * MongoDB 6.0 or newer, unique indexes enforced, and a conditional update with
 * exactly one winner under concurrency (invariants 2 and 4 rest on it). Runs on a scratch
 * collection that is dropped afterwards.
 */
export interface DbCheck {
  name: 'version' | 'unique_index' | 'conditional_update';
  ok: boolean;
  detail: string;
}

const MIN_MAJOR = 6;
const RACERS = 10;

async function versionCheck(db: Db): Promise<DbCheck> {
  const info = (await db.admin().command({ buildInfo: 1 })) as { version?: string; versionArray?: number[] };
  const [major = 0] = info.versionArray ?? (info.version ?? '0').split('.').map(Number);
  const ok = major >= MIN_MAJOR;
  return { name: 'version', ok, detail: `server ${info.version ?? '?'}${ok ? '' : `, needs MongoDB ${MIN_MAJOR}.0 or newer`}` };
}

async function uniqueCheck(db: Db, coll: string): Promise<DbCheck> {
  const c = db.collection(coll);
  await c.createIndex({ key: 1 }, { unique: true, name: 'orch_check_unique' });
  await c.insertOne({ key: 'same' });
  try {
    await c.insertOne({ key: 'same' });
    return { name: 'unique_index', ok: false, detail: 'a second document with the same unique key was accepted' };
  } catch (err) {
    const ok = (err as { code?: number }).code === 11000;
    return { name: 'unique_index', ok, detail: ok ? 'duplicate key refused' : `unexpected error: ${(err as Error).message}` };
  }
}

async function conditionalCheck(db: Db, coll: string): Promise<DbCheck> {
  const c = db.collection<{ _id: string; status: string; by?: number }>(coll);
  const trials = 3;
  for (let t = 0; t < trials; t++) {
    const _id = `race_${t}`;
    await c.insertOne({ _id, status: 'PENDING' });
    const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => c.findOneAndUpdate({ _id, status: 'PENDING' }, { $set: { status: 'DECIDED', by: i } }, { returnDocument: 'after' })));
    const winners = results.filter((r) => r !== null).length;
    if (winners !== 1) return { name: 'conditional_update', ok: false, detail: `${RACERS} concurrent conditional updates of one document had ${winners} winners (trial ${t + 1}); exactly 1 is required` };
  }
  return { name: 'conditional_update', ok: true, detail: `${RACERS} concurrent conditional updates: exactly one winner in each of ${trials} trials` };
}

export async function checkDatabase(db: Db): Promise<DbCheck[]> {
  const coll = `orch_db_check_${newId('c', 8)}`;
  try {
    const version = await versionCheck(db);
    return [version, await uniqueCheck(db, `${coll}_u`), await conditionalCheck(db, `${coll}_r`)];
  } finally {
    await Promise.allSettled([db.collection(`${coll}_u`).drop(), db.collection(`${coll}_r`).drop()]);
  }
}

/** The one line a failed check stops the start with. */
export function failureLine(checks: DbCheck[]): string | null {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return null;
  return `The database does not give the guarantees orch needs: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}. orch needs MongoDB 6.0+ or Atlas. Set ORCH_DB_CHECK=off to start anyway (not recommended).`;
}
