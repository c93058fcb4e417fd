import { Counter, Histogram, type Registry } from 'prom-client';

/** Reconciliation metrics, created once per app registry (tests run several apps per process). */
const byRegistry = new WeakMap<Registry, ReturnType<typeof build>>();

function build(registry: Registry) {
  return {
    runs: new Counter({ name: 'orch_reconcile_runs_total', help: 'Reconciliations by trigger and status', labelNames: ['trigger', 'status'] as const, registers: [registry] }),
    findings: new Counter({ name: 'orch_reconcile_findings_total', help: 'Findings by exception type (re-detections included)', labelNames: ['type'] as const, registers: [registry] }),
    duration: new Histogram({ name: 'orch_reconcile_duration_seconds', help: 'Duration of full reconciliations', buckets: [1, 5, 15, 30, 60, 120, 300, 900], registers: [registry] }),
    autoRepairs: new Counter({ name: 'orch_reconcile_auto_repairs_total', help: 'Automatic fixes by outcome', labelNames: ['outcome'] as const, registers: [registry] }),
  };
}

export function reconcileMetrics(registry: Registry) {
  let m = byRegistry.get(registry);
  if (!m) byRegistry.set(registry, (m = build(registry)));
  return m;
}
