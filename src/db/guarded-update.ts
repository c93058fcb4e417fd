import type { Connection } from 'mongoose';
import siftModule from 'sift';

// sift is CommonJS: its module object is the tester and also carries it as `.default`, which is what the types describe.
const sift = siftModule.default;

/**
 * "Update this document if it is still in this state", without a collection scan on FerretDB.
 *
 * On MongoDB this is the usual conditional update `{_id, ...guard}`: atomic, answered from the
 * _id index. FerretDB v1 (SQLite) uses an index only for a filter that is the `_id` alone, so the
 * same update scans every document of the collection, and it is not atomic there anyway (measured:
 * two concurrent conditional updates both win). There the document is read by `_id`, the guard is
 * checked here with sift (MongoDB query semantics), and the write is by `_id`. Whatever must have
 * exactly one winner is decided by a unique-insert claim first (src/services/claims.ts), on both.
 */
const isFerret = new WeakMap<Connection, boolean>();

/** Whether a document already read satisfies a MongoDB filter. */
export function matches(filter: Record<string, unknown>, doc: unknown): boolean {
  return sift(filter)(doc);
}

/** Whether the connection's server is FerretDB (its buildInfo says so). Asked once per connection. */
export async function onFerretDb(conn: Connection): Promise<boolean> {
  const known = isFerret.get(conn);
  if (known !== undefined) return known;
  const info = (await conn.db?.admin().command({ buildInfo: 1 })) as { ferretdbVersion?: string } | undefined;
  const ferret = Boolean(info?.ferretdbVersion);
  isFerret.set(conn, ferret);
  return ferret;
}

/** Updates the document `_id` when it matches `guard`; returns the updated document, or null. */
interface NativeCollection {
  findOne(filter: Record<string, unknown>): Promise<unknown>;
  findOneAndUpdate(filter: Record<string, unknown>, update: Record<string, unknown>, opts: { returnDocument: 'after' }): Promise<unknown>;
}

export async function updateIfMatches<T = Record<string, unknown>>(
  model: { db: Connection; collection: NativeCollection },
  id: string,
  guard: Record<string, unknown>,
  update: Record<string, unknown>,
): Promise<T | null> {
  const coll = model.collection;
  if (!(await onFerretDb(model.db))) {
    return (await coll.findOneAndUpdate({ _id: id, ...guard }, update, { returnDocument: 'after' })) as T | null;
  }
  const current = await coll.findOne({ _id: id });
  if (!current || !matches(guard, current)) return null;
  return (await coll.findOneAndUpdate({ _id: id }, update, { returnDocument: 'after' })) as T | null;
}
