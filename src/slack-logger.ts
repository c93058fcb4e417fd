import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from './logger.ts';

/** Bolt and the Web API client log through winston, so their lines are JSON and redacted too. */
export function slackLogger(logger: Logger): SlackLogger {
  const child = logger.child({ component: 'slack' });
  let level: LogLevel = LogLevel.INFO;
  const text = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg) => child.debug(text(msg)),
    info: (...msg) => child.info(text(msg)),
    warn: (...msg) => child.warn(text(msg)),
    error: (...msg) => child.error(text(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
