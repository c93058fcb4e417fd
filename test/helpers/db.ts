import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';

/** A MongoDB URI pointing at a database of its own, so test files never share state. */
export function uniqueMongoUri(label = 't'): { uri: string; dbName: string } {
  const base = inject('mongoUri');
  const dbName = `${label.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const u = new URL(base);
  u.pathname = `/${dbName}`;
  return { uri: u.toString(), dbName };
}

export function neo4jUri(): string {
  return inject('neo4jUri');
}
