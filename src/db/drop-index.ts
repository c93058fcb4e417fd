import type { Collection, Document } from 'mongodb';

/** Drops an index that start-up migrations retire; instances starting together may race, and the one that finds it gone has nothing to do. */
export async function dropIndexIfExists(coll: Collection<Document>, name: string): Promise<void> {
  await coll.dropIndex(name).catch((err: { code?: number }) => {
    // 27 = IndexNotFound
    if (err.code !== 27) throw err;
  });
}
