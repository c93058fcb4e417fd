import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prepareJavaMongo, withDirLock } from '../../src/db/java-mongo.ts';
import { cacheDir, neo4jBuildDir, neo4jSourceDir } from './paths.ts';

/**
 * Builds what the test bed needs, once: mongo-java-server and the in-process Neo4j (both Maven).
 * Safe to run concurrently (a directory lock) and on every test run (cached results return at once).
 */
function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
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
  return withDirLock('neo4j', () => {
    if (!existsSync(done)) {
      process.stderr.write('[testbed] building the in-process Neo4j 5.26 (first run only, downloads from Maven Central)\n');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      cpSync(path.join(neo4jSourceDir, 'pom.xml'), path.join(dir, 'pom.xml'));
      cpSync(path.join(neo4jSourceDir, 'src'), path.join(dir, 'src'), { recursive: true });
      const r = spawnSync('mvn', ['-q', '-B', '-Dstyle.color=never', 'package', '-DskipTests'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      if (r.status !== 0) throw new Error(`building the Neo4j test server failed (mvn exit code ${r.status}):\n${`${r.stdout}${r.stderr}`.slice(-4000)}`);
      writeFileSync(done, new Date().toISOString());
    }
    return { classpath };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = Date.now();
  await Promise.all([prepareJavaMongo((l) => console.log(l)), prepareNeo4j()]);
  console.log(`[testbed] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (cache: ${cacheDir})`);
}
