/**
 * Preloaded (`node --import`) into app processes started by tests. The test runner holds the
 * write end of this process's stdin; when the runner dies for any reason (even SIGKILL), the pipe
 * closes and the app shuts down instead of living on as an orphan holding CPU and ports.
 */
process.stdin.on('end', () => {
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.exit(1), 15_000).unref();
});
process.stdin.on('error', () => undefined);
process.stdin.resume();
process.stdin.unref();
