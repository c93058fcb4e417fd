import { createHash } from 'node:crypto';
import type { Models } from '../db/models/index.ts';
import { evaluatePolicy, type PolicyRule } from '../../workflows/policy-eval.ts';
import { requirementFor, votesOf, type RuleWithApprovals } from '../../workflows/approval-requirement.ts';
import type { policyInputSchema } from './policies.ts';
import type { z } from 'zod';

/**
 * Policy backtest: replays the facts past runs' policy steps saw (Run.policyCheck) through a draft
 * policy. Reads only; no external call, no write.
 */
export type PolicyDraft = z.output<typeof policyInputSchema>;

export interface FlippedRun {
  runId: string;
  objectId: string;
  startedAt: string;
  /** needed approval then, and would not now (`to_auto`), or the other way (`to_approval`). */
  direction: 'to_approval' | 'to_auto';
  /** The rule that decides: the draft's deciding rule for to_approval, the rule that matched then for to_auto. */
  rule: string | null;
}

export interface WeekLoad {
  week: string;
  runs: number;
  did: number;
  wouldNeed: number;
  votesNeeded: number;
}

export interface BacktestResult {
  id: string;
  policy: string;
  days: number;
  from: string;
  to: string;
  runs: number;
  didNeedApproval: number;
  wouldNeedApproval: number;
  votesNeeded: number;
  flips: { toApproval: number; toAuto: number; runs: FlippedRun[]; omitted: number };
  loadPerWeek: WeekLoad[];
  byRule: Record<string, number>;
  tookMs: number;
}

export const MAX_LISTED_FLIPS = 200;
const DAY_MS = 86_400_000;

/** ISO week, e.g. 2026-W48 (weeks start on Monday, UTC). */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** A short id naming this draft over this window: the audit entry of a Save refers to it. */
export function backtestId(draft: PolicyDraft, days: number, at: Date): string {
  const h = createHash('sha256').update(JSON.stringify({ rules: draft.rules, thresholds: draft.thresholds, name: draft.name, days, at: at.toISOString() })).digest('hex');
  return `bt_${h.slice(0, 12)}`;
}

interface StoredCheck {
  _id: string;
  objectId: string;
  startedAt: Date;
  policyCheck: { facts?: Record<string, unknown>; needsApproval?: boolean; matched?: string[] };
}

export async function runBacktest(models: Pick<Models, 'Run'>, draft: PolicyDraft, opts: { days: number; now?: Date }): Promise<BacktestResult> {
  const started = performance.now();
  const now = opts.now ?? new Date();
  const from = new Date(now.getTime() - opts.days * DAY_MS);
  const rules = draft.rules as RuleWithApprovals[];
  const cursor = models.Run.collection.find(
    { 'policyCheck.policy': draft.name, startedAt: { $gte: from, $lte: now } },
    // Few round trips: a backtest reads the whole window at once (10,000 runs are a few MB).
    { projection: { _id: 1, objectId: 1, startedAt: 1, 'policyCheck.facts': 1, 'policyCheck.needsApproval': 1, 'policyCheck.matched': 1 }, batchSize: 5000 },
  );
  const res: BacktestResult = {
    id: backtestId(draft, opts.days, now),
    policy: draft.name,
    days: opts.days,
    from: from.toISOString(),
    to: now.toISOString(),
    runs: 0,
    didNeedApproval: 0,
    wouldNeedApproval: 0,
    votesNeeded: 0,
    flips: { toApproval: 0, toAuto: 0, runs: [], omitted: 0 },
    loadPerWeek: [],
    byRule: {},
    tookMs: 0,
  };
  const weeks = new Map<string, WeekLoad>();
  for await (const raw of cursor) {
    const run = raw as unknown as StoredCheck;
    const did = run.policyCheck.needsApproval === true;
    const evaluation = evaluatePolicy({ rules: rules as PolicyRule[] }, run.policyCheck.facts ?? {});
    const req = requirementFor(rules, evaluation);
    const votes = req ? votesOf(req.levels) : 0;
    res.runs += 1;
    if (did) res.didNeedApproval += 1;
    if (req) {
      res.wouldNeedApproval += 1;
      res.votesNeeded += votes;
      if (req.ruleId) res.byRule[req.ruleId] = (res.byRule[req.ruleId] ?? 0) + 1;
    }
    const week = isoWeek(run.startedAt);
    const w = weeks.get(week) ?? { week, runs: 0, did: 0, wouldNeed: 0, votesNeeded: 0 };
    w.runs += 1;
    w.did += did ? 1 : 0;
    w.wouldNeed += req ? 1 : 0;
    w.votesNeeded += votes;
    weeks.set(week, w);
    if (did === Boolean(req)) continue;
    if (req) res.flips.toApproval += 1;
    else res.flips.toAuto += 1;
    if (res.flips.runs.length >= MAX_LISTED_FLIPS) {
      res.flips.omitted += 1;
      continue;
    }
    const rule = req ? req.ruleId : (run.policyCheck.matched?.[0] ?? null);
    res.flips.runs.push({ runId: run._id, objectId: run.objectId, startedAt: run.startedAt.toISOString(), direction: req ? 'to_approval' : 'to_auto', rule });
  }
  res.loadPerWeek = [...weeks.values()].sort((a, b) => a.week.localeCompare(b.week));
  res.flips.runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  res.tookMs = Math.round(performance.now() - started);
  return res;
}
