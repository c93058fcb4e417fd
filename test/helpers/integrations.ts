import type { Registry } from 'prom-client';

/** The current value of a counter series (0 when the series does not exist yet). */
export async function counterValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  return hit ? Number(hit.value) : 0;
}

/** Resilience settings that keep retry tests fast; the behaviour is the production one, only shorter. */
export const FAST_RETRIES = { minTimeoutMs: 10, maxTimeoutMs: 50, retries: 2 } as const;
