import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * How the current request's caller reached orch ("API token ci-bot"), for the audit entries
 * written on their behalf while serving it, however deep in the services. Set by the API's auth
 * middleware; Slack requests leave it unset. Entries by anyone else (e.g. `orch:*` work started by
 * the request) are not tagged.
 */
const viaStore = new AsyncLocalStorage<{ via: string; actor?: string }>();

export function withAuditVia<T>(via: string, actor: string | undefined, fn: () => T): T {
  return viaStore.run(actor ? { via, actor } : { via }, fn);
}

export function currentVia(actor: string): string | undefined {
  const s = viaStore.getStore();
  return s && (!s.actor || s.actor === actor) ? s.via : undefined;
}
