import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, ferretdbBin, neo4jBuildDir, neo4jSourceDir, repoRoot } from './paths.ts';

/**
 * Builds what the test bed needs, once: FerretDB (Go) and the in-process Neo4j (Maven).
 * Safe to run concurrently (a directory lock) and on every test run (cached results return at once).
 */
function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
}

async function withLock<T>(name: string, fn: () => T): Promise<T> {
  const lock = path.join(cacheDir, `${name}.lock`);
  mkdirSync(cacheDir, { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 20 minutes belongs to a build that died.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 20 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function prepareFerretDb(): Promise<string | null> {
  if (existsSync(ferretdbBin)) return ferretdbBin;
  if (!has('go')) return null;
  return withLock('ferretdb', () => {
    if (!existsSync(ferretdbBin)) {
      process.stderr.write('[testbed] building FerretDB v1.24.2 (first run only, about a minute)\n');
      run('bash', [path.join(repoRoot, 'scripts/testbed/build-ferretdb.sh'), ferretdbBin], repoRoot);
    }
    return ferretdbBin;
  });
}

export interface Neo4jBuild {
  classpath: string;
}

export async function prepareNeo4j(): Promise<Neo4jBuild> {
  const dir = neo4jBuildDir();
  const done = path.join(dir, 'BUILT');
  const classpath = `${path.join(dir, 'target', 'classes')}${path.delimiter}${path.join(dir, 'target', 'lib', '*')}`;
  if (existsSync(done)) return { classpath };
  if (!has('java') || !has('mvn')) throw new Error('The Neo4j test server needs Java 17+ and Maven on PATH (or set NEO4J_URI)');
  return withLock('neo4j', () => {
    if (!existsSync(done)) {
      process.stderr.write('[testbed] building the in-process Neo4j 5.26 (first run only, downloads from Maven Central)\n');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      cpSync(path.join(neo4jSourceDir, 'pom.xml'), path.join(dir, 'pom.xml'));
      cpSync(path.join(neo4jSourceDir, 'src'), path.join(dir, 'src'), { recursive: true });
      run('mvn', ['-q', '-B', 'package', '-DskipTests'], dir);
      writeFileSync(done, new Date().toISOString());
    }
    return { classpath };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = Date.now();
  const ferret = await prepareFerretDb();
  if (!ferret) console.warn('[testbed] Go not found: tests will use mongodb-memory-server instead of FerretDB');
  await prepareNeo4j();
  console.log(`[testbed] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (cache: ${cacheDir})`);
}
