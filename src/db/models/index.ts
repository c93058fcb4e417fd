import type { Connection } from 'mongoose';
import { onFerretDb } from '../guarded-update.ts';
import { approvalModel } from './approval.ts';
import { auditEntryModel } from './audit-entry.ts';
import { exceptionModel } from './exception.ts';
import { policyModel } from './policy.ts';
import { runModel } from './run.ts';
import { userModel } from './user.ts';
import { reconcileLockModel, reconcileReportModel } from './reconcile-report.ts';
import { webhookEventModel } from './webhook-event.ts';
import { webhookBatchModel } from './webhook-batch.ts';
import { workUnitModel } from './work-unit.ts';
import { ingestInboxModel, ingestLockModel, pendingUnitModel } from './pending-unit.ts';
import { settingModel } from './setting.ts';
import { alertModel } from './alert.ts';
import { objectStateModel } from './object-state.ts';

/** All models bound to one connection, so tests and instances never share a global registry. */
export function createModels(conn: Connection) {
  return {
    WebhookEvent: webhookEventModel(conn),
    WebhookBatch: webhookBatchModel(conn),
    WorkUnit: workUnitModel(conn),
    PendingUnit: pendingUnitModel(conn),
    IngestInbox: ingestInboxModel(conn),
    IngestLock: ingestLockModel(conn),
    Run: runModel(conn),
    Approval: approvalModel(conn),
    Exception: exceptionModel(conn),
    Policy: policyModel(conn),
    AuditEntry: auditEntryModel(conn),
    User: userModel(conn),
    ReconcileReport: reconcileReportModel(conn),
    ReconcileLock: reconcileLockModel(conn),
    Setting: settingModel(conn),
    Alert: alertModel(conn),
    ObjectState: objectStateModel(conn),
  };
}

export type Models = ReturnType<typeof createModels>;

/**
 * Idempotent: safe on every start. On FerretDB v1 only the unique indexes are built: its planner
 * never uses a secondary index (only `_id`), so the others would only be maintained on every
 * insert (they slowed the webhook path), while unique ones still enforce their constraint.
 */
export async function ensureIndexes(models: Models): Promise<void> {
  const first = Object.values(models)[0];
  const ferret = first ? await onFerretDb(first.db) : false;
  for (const model of Object.values(models)) {
    if (!ferret) {
      await model.createIndexes();
      continue;
    }
    for (const [fields, options] of model.schema.indexes()) {
      if (options?.unique) await model.collection.createIndex(fields as Record<string, 1 | -1>, options as Record<string, unknown>);
    }
  }
}
