import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Db } from 'mongodb';
import type { Logger } from '../src/logger.ts';

export interface AgendaOptions {
  db: Db;
  logger: Logger;
  processEveryMs?: number;
}

/**
 * Agenda on the shared native client (mongodb 7.8, the connection mongoose uses). No change-stream channel: a standalone mongod has
 * none, so Agenda polls (REFERENCE.md §4-5). The error event is always handled.
 */
export function createAgenda(opts: AgendaOptions): Agenda {
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: opts.db, collection: 'agenda_jobs', ensureIndex: true }),
    processEvery: opts.processEveryMs ?? 1000,
    defaultConcurrency: 5,
    maxConcurrency: 20,
    defaultLockLifetime: 10 * 60_000,
    // One-time jobs (after-write checks, manual reconciliations) would otherwise pile up for ever.
    // Failed ones stay, to be seen.
    removeOnComplete: true,
  });
  agenda.on('error', (err: Error) => opts.logger.error('agenda error', { error: err.message }));
  agenda.on('fail', (err: Error, job: { attrs: { name: string } }) =>
    opts.logger.error('job failed', { job: job.attrs.name, error: err.message }),
  );
  return agenda;
}
