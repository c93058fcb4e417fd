import { spawn } from 'node:child_process';
import { stopChild } from '../../src/db/embedded.ts';
import { prepareNeo4j } from '../../scripts/testbed/prepare.ts';

/** Starts the in-process Neo4j (Bolt on a free loopback port); resolves once it answers queries. */
export async function startNeo4jServer(): Promise<{ uri: string; stop(): Promise<void> }> {
  const { classpath } = await prepareNeo4j();
  // stdin stays open: the server exits by itself when this process goes away.
  const child = spawn('java', ['-Xms128m', '-Xmx768m', '-XX:+UseSerialGC', '-cp', classpath, 'orch.testbed.Neo4jTestServer'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Neo4j test server did not start within 90 s:\n${stderr}`)), 90_000);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /BOLT_READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Neo4j test server exited with ${code}:\n${stderr}`));
    });
  });
  return { uri, stop: () => stopChild(child, 10_000) };
}
