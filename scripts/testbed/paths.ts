import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testbedCacheDir } from '../../src/db/java-mongo.ts';

/** Where the test bed keeps its builds: outside the clone, so a fresh clone reuses them. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cacheDir = testbedCacheDir();

const neo4jSrc = path.join(repoRoot, 'scripts', 'testbed', 'neo4j');
/** Keyed by the pom and the server source, so a change rebuilds instead of reusing a stale jar set. */
export function neo4jBuildDir(): string {
  const h = createHash('sha256')
    .update(readFileSync(path.join(neo4jSrc, 'pom.xml')))
    .update(readFileSync(path.join(neo4jSrc, 'src/main/java/orch/testbed/Neo4jTestServer.java')))
    .digest('hex')
    .slice(0, 12);
  return path.join(cacheDir, `neo4j-${h}`);
}
export const neo4jSourceDir = neo4jSrc;
