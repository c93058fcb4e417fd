import type { Logger } from './logger.ts';

export interface Component {
  name: string;
  start?(): Promise<void> | void;
  /** Stop taking new work, let running work finish or checkpoint, release connections. */
  stop?(): Promise<void> | void;
}

/** Starts components in order and stops them in reverse, each stop bounded by the shared deadline. */
export class Lifecycle {
  private readonly components: { c: Component; started: boolean }[] = [];
  private readonly logger: Logger;
  private readonly stopping = new AbortController();
  constructor(logger: Logger) {
    this.logger = logger;
  }

  /** A component without start() counts as running from the moment it is added. */
  add(component: Component): void {
    this.components.push({ c: component, started: !component.start });
  }

  async start(): Promise<void> {
    for (const entry of this.components) {
      if (entry.started) continue;
      await entry.c.start?.();
      entry.started = true;
    }
  }

  /** Aborted as soon as stop() begins, so long work (e.g. a reconciliation) winds down before Agenda drains. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  async stop(deadlineMs: number): Promise<boolean> {
    this.stopping.abort();
    const deadline = Date.now() + deadlineMs;
    let clean = true;
    const running = this.components.filter((e) => e.started).map((e) => e.c);
    for (const c of running.reverse()) {
      const left = Math.max(100, deadline - Date.now());
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve(c.stop?.()),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not stop within ${left} ms`)), left);
          }),
        ]);
      } catch (err) {
        clean = false;
        this.logger.error('component did not stop cleanly', { component: c.name, error: (err as Error).message });
      } finally {
        clearTimeout(timer);
      }
    }
    this.components.length = 0;
    return clean;
  }
}
