import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The trigger table (workflows/triggers.json): HubSpot events → workflow ids. Pure; loaded once at start. */
export const WORKFLOW_IDS = ['company-intake', 'procurement-approval', 'contact-role-mapping', 'deal-stage-kickoff'] as const;

const condition = z
  .object({
    property: z.string().min(1),
    gte: z.number().optional(),
    gt: z.number().optional(),
    lte: z.number().optional(),
    lt: z.number().optional(),
    eq: z.string().optional(),
    in: z.array(z.string()).optional(),
  })
  .strict();
const trigger = z
  .object({
    name: z.string().min(1),
    workflowId: z.enum(WORKFLOW_IDS),
    objectType: z.enum(['company', 'contact', 'deal']),
    enabled: z.boolean().default(true),
    events: z.array(z.string().regex(/^[a-z]+\.[A-Za-z]+$/)).min(1),
    /** Property mask for propertyChange events; absent = any property. */
    properties: z.array(z.string()).optional(),
    when: z.object({ any: z.array(condition).optional(), all: z.array(condition).optional() }).strict().optional(),
    stageTransitions: z.array(z.object({ property: z.string().default('dealstage'), from: z.array(z.string()).optional(), to: z.array(z.string()).min(1) }).strict()).optional(),
  })
  .strict();
const fetchSpec = z.object({ properties: z.array(z.string()), associations: z.array(z.string()).default([]) }).strict();
export const triggerTableSchema = z.object({
  $comment: z.string().optional(),
  fetch: z.record(z.string(), fetchSpec),
  triggers: z.array(trigger),
});

export type TriggerTable = z.output<typeof triggerTableSchema>;
export type Trigger = TriggerTable['triggers'][number];
type Condition = z.output<typeof condition>;

export function parseTriggerTable(json: unknown, source = 'trigger table'): TriggerTable {
  const r = triggerTableSchema.safeParse(json);
  if (!r.success) throw new Error(`${source} is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

export function loadTriggerTable(file: string): TriggerTable {
  return parseTriggerTable(JSON.parse(readFileSync(file, 'utf8')), file);
}

/** What the router needs to know about a unit: its events in occurredAt order and the object now. */
export interface UnitFacts {
  objectType: string;
  events: { subscriptionType: string; propertyName?: string | null; propertyValue?: string | null }[];
  properties: Record<string, string | null | undefined>;
  /** Values before this burst, for stage transitions. */
  previous?: Record<string, string | null | undefined>;
}

export interface TriggerMatch {
  trigger: string;
  workflowId: Trigger['workflowId'];
  reason: string;
}

function holds(c: Condition, props: UnitFacts['properties']): boolean {
  const raw = props[c.property];
  if (raw === undefined || raw === null || raw === '') return false;
  const n = Number(raw);
  if (c.gte !== undefined && !(n >= c.gte)) return false;
  if (c.gt !== undefined && !(n > c.gt)) return false;
  if (c.lte !== undefined && !(n <= c.lte)) return false;
  if (c.lt !== undefined && !(n < c.lt)) return false;
  if (c.eq !== undefined && raw !== c.eq) return false;
  if (c.in !== undefined && !c.in.includes(raw)) return false;
  return true;
}

function eventsMatch(t: Trigger, facts: UnitFacts): string | null {
  for (const e of facts.events) {
    if (!t.events.includes(e.subscriptionType)) continue;
    if (e.subscriptionType.endsWith('.propertyChange')) {
      if (!t.properties || (e.propertyName && t.properties.includes(e.propertyName))) return `${e.subscriptionType} ${e.propertyName}`;
      continue;
    }
    return e.subscriptionType;
  }
  return null;
}

/**
 * The object's latest change of the property went into a `to` value, from a `from` value: the
 * value before it is the burst's previous change, or else the value stored before the burst
 * (facts.previous). `from: ["*"]` matches any change, even when the value before is unknown.
 */
function transitionMatches(t: Trigger, facts: UnitFacts): boolean {
  if (!t.stageTransitions) return true;
  return t.stageTransitions.some((st) => {
    const changes = facts.events.filter((e) => e.propertyName === st.property && e.propertyValue != null);
    const last = changes.at(-1)?.propertyValue;
    if (!last || !st.to.includes(last)) return false;
    if (!st.from || st.from.includes('*')) return true;
    const before = changes.length > 1 ? changes.at(-2)?.propertyValue : facts.previous?.[st.property];
    return before != null && before !== last && st.from.includes(before);
  });
}

/** Properties whose value before a burst stage transitions need (remembered per object after each unit). */
export function transitionProperties(table: TriggerTable, objectType: string): string[] {
  const set = new Set<string>();
  for (const t of table.triggers) if (t.objectType === objectType) for (const st of t.stageTransitions ?? []) set.add(st.property);
  return [...set];
}

/** The workflows a unit starts, at most one match per workflow id, in table order. */
export function matchTriggers(table: TriggerTable, facts: UnitFacts): TriggerMatch[] {
  const out: TriggerMatch[] = [];
  for (const t of table.triggers) {
    if (!t.enabled || t.objectType !== facts.objectType || out.some((m) => m.workflowId === t.workflowId)) continue;
    const why = eventsMatch(t, facts);
    if (!why) continue;
    if (t.when?.all && !t.when.all.every((c) => holds(c, facts.properties))) continue;
    if (t.when?.any && !t.when.any.some((c) => holds(c, facts.properties))) continue;
    if (!transitionMatches(t, facts)) continue;
    out.push({ trigger: t.name, workflowId: t.workflowId, reason: why });
  }
  return out;
}

/** Properties to read for an object type: the fetch list plus every property a trigger looks at. */
export function propertiesFor(table: TriggerTable, objectType: string): string[] {
  const set = new Set(table.fetch[objectType]?.properties ?? []);
  for (const t of table.triggers) {
    if (t.objectType !== objectType) continue;
    for (const p of t.properties ?? []) set.add(p);
    for (const c of [...(t.when?.any ?? []), ...(t.when?.all ?? [])]) set.add(c.property);
  }
  return [...set];
}
