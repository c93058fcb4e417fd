import type { AppContext } from '../context.ts';
import { pingMongo } from '../db/connection.ts';

export type DependencyHealth = 'ok' | 'degraded' | 'not configured';
export const DEPENDENCIES = ['mongodb', 'slack', 'hubspot', 'airtable', 'notion', 'openai', 'neo4j'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];
export type HealthReport = Record<Dependency, DependencyHealth>;

type HealthCtx = Pick<AppContext, 'mongo' | 'slack' | 'logger'> & { integrations?: Partial<Pick<AppContext['integrations'], 'health'>> };

const TTL_MS = 15_000;
const cached = new WeakMap<object, { at: number; report: Promise<HealthReport> }>();

async function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([p.catch(() => fallback), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function probe(ctx: HealthCtx): Promise<HealthReport> {
  const ok = (p: Promise<unknown>) => within(p.then(() => 'ok' as DependencyHealth), 1500, 'degraded' as DependencyHealth);
  const [mongodb, slack, adapters] = await Promise.all([
    ok(pingMongo(ctx.mongo.conn)),
    ok(ctx.slack.auth.test()),
    ctx.integrations?.health ? within(ctx.integrations.health(), 1500, null) : Promise.resolve(null),
  ]);
  const of = (k: 'hubspot' | 'airtable' | 'notion' | 'openai' | 'neo4j'): DependencyHealth => {
    if (!adapters) return 'degraded';
    const v = adapters[k];
    return v === 'not_configured' ? 'not configured' : v;
  };
  return { mongodb, slack, hubspot: of('hubspot'), airtable: of('airtable'), notion: of('notion'), openai: of('openai'), neo4j: of('neo4j') };
}

/** Health of every dependency, cached briefly so Home publishes and /orch status don't hammer Slack or the SaaS APIs. */
export function dependencyHealth(ctx: HealthCtx): Promise<HealthReport> {
  const hit = cached.get(ctx.mongo);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.report;
  const report = probe(ctx);
  cached.set(ctx.mongo, { at: Date.now(), report });
  return report;
}
