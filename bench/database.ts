import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFerretDb } from '../src/db/embedded.ts';

/**
 * The server a benchmark runs against: MONGODB_URI when set, else a private FerretDB in a
 * temporary directory. stop() ends the private server and removes its files (no-op otherwise).
 */
export async function benchDatabase(): Promise<{ uri: string; stop(): Promise<void> }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: async () => undefined };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-bench-ferret-'));
  const ferret = await startFerretDb(dir);
  return {
    uri: ferret.uri,
    async stop() {
      await ferret.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
