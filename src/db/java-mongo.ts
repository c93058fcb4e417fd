import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * mongo-java-server (de.bwaldvogel, in-memory or H2 MVStore file backend), announced as MongoDB 6.0:
 * the test bed's database and the offline development database. Built once with Maven from
 * scripts/testbed/mongo (Maven Central is reachable wherever npm is) and cached outside the clone.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const sourceDir = path.join(repoRoot, 'scripts', 'testbed', 'mongo');
const mainJava = 'src/main/java/orch/testbed/MongoTestServer.java';

export function testbedCacheDir(): string {
  return process.env.ORCH_TESTBED_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'orch-testbed');
}

/** Keyed by the pom and the server source, so a change rebuilds instead of reusing a stale build. */
function buildDir(): string {
  const h = createHash('sha256').update(readFileSync(path.join(sourceDir, 'pom.xml'))).update(readFileSync(path.join(sourceDir, mainJava))).digest('hex').slice(0, 12);
  return path.join(testbedCacheDir(), `mongo-java-server-${h}`);
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** A directory lock shared by concurrent builders (a test run and `npm start` on one machine). */
export async function withDirLock<T>(name: string, fn: () => T): Promise<T> {
  const lock = path.join(testbedCacheDir(), `${name}.lock`);
  mkdirSync(testbedCacheDir(), { recursive: true });
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

/** The server's classpath, building it first if needed (one progress line on stderr, then Maven's errors only). */
export async function prepareJavaMongo(progress: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<string> {
  const dir = buildDir();
  const done = path.join(dir, 'BUILT');
  const classpath = `${path.join(dir, 'target', 'classes')}${path.delimiter}${path.join(dir, 'target', 'lib', '*')}`;
  if (existsSync(done)) return classpath;
  if (!has('java') || !has('mvn')) throw new Error('mongo-java-server needs Java 17+ and Maven on PATH (or set MONGODB_URI)');
  return withDirLock('mongo-java-server', () => {
    if (existsSync(done)) return classpath;
    progress(`[orch] building mongo-java-server 1.47 with Maven (first run only, downloads from Maven Central) into ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    cpSync(path.join(sourceDir, 'pom.xml'), path.join(dir, 'pom.xml'));
    cpSync(path.join(sourceDir, 'src'), path.join(dir, 'src'), { recursive: true });
    const r = spawnSync('mvn', ['-q', '-B', '-Dstyle.color=never', 'package', '-DskipTests'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`building mongo-java-server failed (mvn exit code ${r.status}):\n${`${r.stdout}${r.stderr}`.slice(-4000)}`);
    writeFileSync(done, new Date().toISOString());
    return classpath;
  });
}

export interface JavaMongo {
  uri: string;
  port: number;
  /** The server process (benchmarks watch its CPU). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 (`port` 0 = a free one). Its stdin stays a pipe from this
 * process: when this process dies, even by SIGKILL, the pipe closes and the server exits.
 */
export async function startJavaMongo(opts: { h2File?: string; port?: number; heapMb?: number; loseConditions?: boolean; fullJit?: boolean; jvmArgs?: string[] } = {}): Promise<JavaMongo> {
  const classpath = await prepareJavaMongo();
  // Tests and development favour a fast start (C1 only, serial GC); benchmarks ask for the full JIT
  // and a low-pause collector (the in-memory backend's heap grows with every stored document).
  const jvm = opts.jvmArgs ?? (opts.fullJit ? ['-XX:+UseZGC'] : ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1']);
  const args = [`-Xmx${opts.heapMb ?? 1024}m`, ...jvm, '-cp', classpath, 'orch.testbed.MongoTestServer', '--port', String(opts.port ?? 0)];
  if (opts.h2File) args.push('--h2', opts.h2File);
  if (opts.loseConditions) args.push('--lose-conditions');
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mongo-java-server did not start within 60 s:\n${stderr}`)), 60_000);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /MONGO_READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mongo-java-server exited with ${code} before it was ready:\n${stderr.trim()}`));
    });
  });
  const port = Number(new URL(uri).port);
  return {
    uri: `${uri}/`,
    port,
    pid: child.pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
