import type { Connection } from 'mongoose';

/**
 * First-writer-wins claims for FerretDB: its findOneAndUpdate is NOT atomic under concurrency
 * (two concurrent `{status:'PENDING'}` → APPROVED updates both succeeded in our e2e test), but an
 * insert with a duplicate _id always fails for the second writer. So every "only one may do this"
 * transition first inserts a claim document whose _id names the transition.
 */
export async function claimOnce(model: { db: Connection }, collection: string, id: string, doc: Record<string, unknown> = {}): Promise<boolean> {
  try {
    await model.db.collection(collection).insertOne({ _id: id as never, at: new Date(), ...doc });
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false;
    throw err;
  }
}

export const DECISION_CLAIMS = 'approval_decisions';
export const RUN_CLAIMS = 'run_claims';
