import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Ingest's own metrics, on the app instance's registry. */
export function createIngestMetrics(registry: Registry) {
  const registers = [registry];
  return {
    received: new Counter({ name: 'orch_webhook_events_received_total', help: 'Events in signed, parseable HubSpot batches', registers }),
    accepted: new Counter({ name: 'orch_webhook_events_accepted_total', help: 'New valid events stored for processing', registers }),
    duplicate: new Counter({ name: 'orch_webhook_events_duplicate_total', help: 'Re-delivered events (same dedupe key), answered 200', registers }),
    quarantined: new Counter({ name: 'orch_webhook_events_quarantined_total', help: 'Malformed events kept aside with a reason', registers }),
    ignored: new Counter({ name: 'orch_webhook_events_ignored_total', help: 'Well-formed events of subscription types orch does not handle', registers }),
    rejected: new Counter({ name: 'orch_webhook_requests_rejected_total', help: 'Webhook requests refused, by reason', labelNames: ['reason'] as const, registers }),
    ackSeconds: new Histogram({
      name: 'orch_webhook_ack_seconds',
      help: 'Time from receiving a webhook request to its 200',
      buckets: [0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    pendingUnits: new Gauge({ name: 'orch_ingest_pending_units', help: 'Units of work waiting for their debounce window or a worker', registers }),
    units: new Counter({ name: 'orch_ingest_units_total', help: 'Units of work finished, by outcome', labelNames: ['outcome'] as const, registers }),
    enrichCalls: new Counter({ name: 'orch_ingest_enrichment_calls_total', help: 'HubSpot reads made to enrich units, by object type and outcome', labelNames: ['objectType', 'outcome'] as const, registers }),
    enrichRetries: new Counter({ name: 'orch_ingest_enrichment_retries_total', help: 'Units put back for another enrichment attempt', registers }),
    runsCreated: new Counter({ name: 'orch_ingest_runs_created_total', help: 'Runs created from units, by workflow', labelNames: ['workflowId'] as const, registers }),
    runsDuplicate: new Counter({ name: 'orch_ingest_runs_duplicate_total', help: 'Run creations refused by the unique correlation key', registers }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
