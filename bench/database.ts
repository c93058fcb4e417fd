import { totalmem } from 'node:os';
import { startJavaMongo } from '../src/db/java-mongo.ts';

/**
 * The server a benchmark runs against: MONGODB_URI when set, else a private mongo-java-server (the
 * test bed's, in memory). `kind` is printed with the figures. stop() ends the private server.
 */
export async function benchDatabase(): Promise<{ uri: string; kind: string; pid?: number; stop(): Promise<void> }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, kind: 'MONGODB_URI', stop: async () => undefined };
  // BENCH_JVM_OPTS: the server's JVM options instead of the default (full JIT, ZGC), e.g. '-XX:+UseParallelGC'.
  const jvmArgs = process.env.BENCH_JVM_OPTS?.split(/\s+/).filter(Boolean);
  // BENCH_SERVER_HEAP_MB (12288, at most half the machine's memory): the in-memory server holds every
  // document written; at 4 GB a fast ingest run filled it and ZGC stalled allocations for up to 0.7 s,
  // which the open loop then measured.
  const heapMb = Number(process.env.BENCH_SERVER_HEAP_MB ?? Math.min(12_288, Math.floor(totalmem() / 2 ** 21)));
  const server = await startJavaMongo({ heapMb, fullJit: true, ...(jvmArgs ? { jvmArgs } : {}) });
  return { uri: server.uri, kind: 'mongo-java-server 1.47 (memory backend, test bed)', ...(server.pid ? { pid: server.pid } : {}), stop: server.stop };
}
