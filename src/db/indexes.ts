import type { Collection, Document, IndexDescriptionInfo } from 'mongodb';

/** The index of that name, if the collection has one; a collection not created yet (NamespaceNotFound, 26) has none. */
export async function findIndex(coll: Collection<Document>, name: string): Promise<IndexDescriptionInfo | undefined> {
  const indexes = await coll.indexes().catch((err: { code?: number }) => {
    if (err.code !== 26) throw err;
    return [];
  });
  return indexes.find((i) => i.name === name);
}

/** Drops an index that start-up migrations retire; instances starting together may race, and the one that finds it gone has nothing to do. */
export async function dropIndexIfExists(coll: Collection<Document>, name: string): Promise<void> {
  await coll.dropIndex(name).catch((err: { code?: number }) => {
    // 27 = IndexNotFound
    if (err.code !== 27) throw err;
  });
}
