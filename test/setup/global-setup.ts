import type { TestProject } from 'vitest/node';
import { startJavaMongo } from '../../src/db/java-mongo.ts';
import { startNeo4jServer } from './neo4j-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    mongoKind: string;
    neo4jUri: string;
  }
}

/**
 * The test bed (DESIGN.md §4): MONGODB_URI / NEO4J_URI when given, otherwise a disposable
 * mongo-java-server (in memory, announced as MongoDB 6.0) and an in-process Neo4j on free loopback
 * ports, stopped when the run ends.
 */
export default async function setup(project: TestProject) {
  const stops: (() => Promise<void>)[] = [];
  const t0 = Date.now();
  const log = (m: string) => process.stderr.write(`[testbed] ${m}\n`);

  const mongoPromise = (async () => {
    if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, kind: 'external' };
    const server = await startJavaMongo();
    stops.push(server.stop);
    return { uri: server.uri, kind: 'mongo-java-server' };
  })();
  const neoPromise = (async () => {
    if (process.env.NEO4J_URI) return process.env.NEO4J_URI;
    const neo = await startNeo4jServer();
    stops.push(neo.stop);
    return neo.uri;
  })();

  const [mongo, neo4jUri] = await Promise.all([mongoPromise, neoPromise]);
  log(`mongo=${mongo.kind} ${mongo.uri} neo4j=${neo4jUri} started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  project.provide('mongoUri', mongo.uri);
  project.provide('mongoKind', mongo.kind);
  project.provide('neo4jUri', neo4jUri);

  return async () => {
    await Promise.allSettled(stops.map((s) => s()));
  };
}
