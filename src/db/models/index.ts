import type { Connection } from 'mongoose';
import { approvalModel } from './approval.ts';
import { auditEntryModel } from './audit-entry.ts';
import { exceptionModel } from './exception.ts';
import { policyModel } from './policy.ts';
import { runModel } from './run.ts';
import { userModel } from './user.ts';
import { reconcileLockModel, reconcileReportModel } from './reconcile-report.ts';
import { migrateWebhookEvents, webhookEventModel } from './webhook-event.ts';
import { migrateWebhookBatches, webhookBatchModel } from './webhook-batch.ts';
import { workUnitModel } from './work-unit.ts';
import { ingestInboxModel, ingestLockModel, pendingUnitModel } from './pending-unit.ts';
import { settingModel } from './setting.ts';
import { alertModel } from './alert.ts';
import { objectStateModel } from './object-state.ts';
import { apiTokenModel } from './api-token.ts';
import { approverGroupModel, delegationModel } from './approver-group.ts';

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
    ApiToken: apiTokenModel(conn),
    ApproverGroup: approverGroupModel(conn),
    Delegation: delegationModel(conn),
  };
}

export type Models = ReturnType<typeof createModels>;

/** Every index the models declare. Idempotent: safe on every start. */
export async function ensureIndexes(models: Models, log?: (message: string) => void): Promise<void> {
  await migrateWebhookBatches(models.WebhookBatch);
  await migrateWebhookEvents(models.WebhookEvent, () => log?.('webhook_events: the old unique dedupeKey index stays (events stored before their _id was their dedupe key); it is dropped once those are gone (retention)'));
  for (const model of Object.values(models)) await model.createIndexes();
}
