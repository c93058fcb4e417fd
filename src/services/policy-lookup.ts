import type { AppContext } from '../context.ts';
import { createLineageReader } from '../integrations/lineage-read.ts';
import type { PolicyRule } from '../../workflows/policy-eval.ts';
import { policyVersionAt } from './policies.ts';
import type { Source } from './explain-sources.ts';

/** `/orch policy <name> --as-of <date>`: the version in force then, from the lineage graph or MongoDB. */
export interface PolicyAsOf {
  source: Source;
  at: string;
  policy: {
    name: string;
    version: number;
    description: string | null;
    rules: PolicyRule[];
    thresholds: Record<string, unknown>;
    validFrom: string | null;
    validTo: string | null;
    createdBy: string | null;
  } | null;
  /** Known policy names, for "no policy called x". */
  known: string[];
}

type Ctx = Pick<AppContext, 'models' | 'neo4j' | 'logger'>;

async function fromMongo(ctx: Ctx, name: string, at: Date): Promise<PolicyAsOf['policy']> {
  const p = await policyVersionAt(ctx.models, name, at);
  if (!p) return null;
  return { name: p.name, version: p.version, description: p.description ?? null, rules: p.rules, thresholds: p.thresholds, validFrom: p.validFrom || null, validTo: p.validTo, createdBy: p.createdBy };
}

export async function policyAsOf(ctx: Ctx, name: string, at: Date): Promise<PolicyAsOf> {
  const known = ((await ctx.models.Policy.distinct('name')) as string[]).sort();
  const base = { at: at.toISOString(), known };
  if (ctx.neo4j) {
    try {
      const p = await createLineageReader(ctx.neo4j).policyAt(name, at);
      if (p) return { ...base, source: 'neo4j', policy: { ...p, rules: p.rules as PolicyRule[] } };
    } catch (err) {
      ctx.logger.warn('policy: Neo4j lineage unavailable, answering from MongoDB', { name, error: (err as Error).message });
    }
  }
  return { ...base, source: 'mongodb', policy: await fromMongo(ctx, name, at) };
}
