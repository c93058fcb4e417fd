import neo4j, { type Driver } from 'neo4j-driver';
import type { Config } from '../config.ts';

/** Null when NEO4J_URI is unset: lineage is then off, and said once at start. */
export function createNeo4jDriver(config: Pick<Config, 'NEO4J_URI' | 'NEO4J_USER' | 'NEO4J_PASSWORD'>): Driver | null {
  if (!config.NEO4J_URI) return null;
  return neo4j.driver(config.NEO4J_URI, neo4j.auth.basic(config.NEO4J_USER, config.NEO4J_PASSWORD), {
    maxConnectionPoolSize: 20,
    connectionAcquisitionTimeout: 5000,
    disableLosslessIntegers: true,
  });
}
