import 'dotenv/config';
import { ConfigError, loadConfig } from './config.ts';
import { StartupError } from './db/connection.ts';
import { startOrch } from './orch.ts';

/** Entry point: config, start, signals. Everything else lives in orch.ts. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`orch cannot start. ${err.message}\nSee .env.example and README.md#configuration.\n`);
      process.exit(1);
    }
    throw err;
  }
  let orch;
  try {
    orch = await startOrch(config);
  } catch (err) {
    const message = err instanceof StartupError ? err.message : `Startup failed: ${(err as Error).message}`;
    process.stderr.write(`orch cannot start. ${message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    orch.ctx.logger.info('shutting down', { signal });
    const clean = await orch.stop();
    orch.ctx.logger.info('stopped', { clean });
    process.exit(clean ? 0 : 1);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

void main();
