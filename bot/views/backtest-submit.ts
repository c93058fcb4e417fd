import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { AppContext } from '../../src/context.ts';
import { BACKTEST_MODAL, BT_DAYS, BT_INPUT, BT_JSON, buildBacktestResult, type BacktestMeta } from '../../blocks/backtest.ts';
import { runBacktest, type PolicyDraft } from '../../src/services/backtest.ts';
import { policyInputSchema, policyVersion } from '../../src/services/policies.ts';
import { hasRole, roleOf } from '../../src/services/rbac.ts';
import { encodeSave } from '../actions/backtest-save.ts';
import { tell } from '../actions/exceptions.ts';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
type Values = ViewSubmitAction['view']['state']['values'];
type Rule = PolicyDraft['rules'][number] & { approvals?: { required: number; from: unknown } };

export type DraftResult = { ok: true; draft: PolicyDraft; days: number } | { ok: false; errors: Record<string, string> };

function parseMeta(text: string | undefined): BacktestMeta | null {
  try {
    const m = JSON.parse(text ?? '') as BacktestMeta;
    return typeof m.policy === 'string' && typeof m.version === 'number' && m.orig && typeof m.orig === 'object' ? m : null;
  } catch {
    return null;
  }
}

const valueOf = (values: Values, blockId: string): string => String(values[blockId]?.[BT_INPUT]?.value ?? '').trim();

/** One edited field applied to the draft; an error message when its value is unusable. */
function applyField(base: { rules: Rule[]; thresholds: Record<string, unknown> }, blockId: string, value: string): string | null {
  const [kind, key = ''] = blockId.split(/:(.*)/s);
  if (kind === 'bt_thr') {
    if (!Number.isFinite(Number(value))) return 'a number';
    base.thresholds[key] = Number(value);
    return null;
  }
  const rule = base.rules.find((r) => r.id === key);
  if (!rule) return null; // removed in the JSON field: the JSON wins
  if (kind === 'bt_votes') {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) return 'a whole number ≥ 1';
    rule.approvals = { ...(rule.approvals ?? { from: 'admins' }), required: n };
    return null;
  }
  if (['gt', 'gte', 'lt', 'lte'].includes(rule.when.op)) {
    if (!Number.isFinite(Number(value)) || value === '') return 'a number';
    rule.when = { ...rule.when, value: Number(value) };
  } else if (rule.when.op === 'in' || rule.when.op === 'changed') {
    rule.when = { ...rule.when, value: value.split(',').map((s) => s.trim()).filter(Boolean) };
  } else {
    rule.when = { ...rule.when, value };
  }
  return null;
}

/** The draft a submission describes: the JSON field (if edited) as the base, then every changed field. Pure. */
export function draftFromSubmission(values: Values, meta: BacktestMeta, current: { rules: unknown[]; thresholds: Record<string, unknown>; description?: string }): DraftResult {
  const days = Number(valueOf(values, BT_DAYS) || 30);
  if (!Number.isInteger(days) || days < 1 || days > 365) return { ok: false, errors: { [BT_DAYS]: 'Days must be a whole number from 1 to 365.' } };
  let base = structuredClone({ rules: current.rules as Rule[], thresholds: current.thresholds ?? {} });
  const json = valueOf(values, BT_JSON);
  if (meta.json && json && json !== meta.json.trim()) {
    try {
      const parsed = JSON.parse(json) as { rules?: unknown; thresholds?: unknown };
      base = { rules: (Array.isArray(parsed.rules) ? parsed.rules : []) as Rule[], thresholds: (parsed.thresholds ?? {}) as Record<string, unknown> };
    } catch (err) {
      return { ok: false, errors: { [BT_JSON]: `Not valid JSON: ${(err as Error).message}` } };
    }
  }
  const errors: Record<string, string> = {};
  for (const [blockId, orig] of Object.entries(meta.orig)) {
    const value = valueOf(values, blockId);
    if (value === orig.trim()) continue;
    const problem = applyField(base, blockId, value);
    if (problem) errors[blockId] = `Expected ${problem}.`;
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  const draft = policyInputSchema.safeParse({ name: meta.policy, ...(current.description ? { description: current.description } : {}), ...base });
  if (!draft.success) {
    const first = draft.error.issues[0];
    return { ok: false, errors: { [meta.json ? BT_JSON : BT_DAYS]: `Invalid rule set: ${first?.path.join('.')} ${first?.message}` } };
  }
  return { ok: true, draft: draft.data, days };
}

async function latestVersion(ctx: AppContext, name: string): Promise<number> {
  const doc = await ctx.models.Policy.findOne({ name }, { version: 1 }).sort({ version: -1 }).lean();
  return doc?.version ?? 0;
}

export function registerBacktestView(app: App, ctx: AppContext): void {
  app.view(BACKTEST_MODAL, async ({ ack, body, view }: Args) => {
    const meta = parseMeta(view.private_metadata);
    const current = meta ? await policyVersion(ctx.models, meta.policy, meta.version) : null;
    if (!meta || !current) return void (await ack({ response_action: 'errors', errors: { [BT_DAYS]: 'This backtest form is no longer valid; run /orch backtest again.' } }));
    const parsed = draftFromSubmission(view.state.values, meta, current);
    if (!parsed.ok) return void (await ack({ response_action: 'errors', errors: parsed.errors }));
    await ack();
    const user = body.user.id;
    try {
      const result = await runBacktest(ctx.models, parsed.draft, { days: parsed.days });
      const admin = hasRole(await roleOf(ctx.models, user), 'admin');
      const saveValue = admin ? encodeSave(result.id, parsed.draft) : null;
      const saveNote = admin && !saveValue ? 'draft too large to save from Slack: POST /api/policies with this backtestId' : undefined;
      const blocks = buildBacktestResult(result, { nextVersion: (await latestVersion(ctx, meta.policy)) + 1, ...(saveValue ? { saveValue } : {}), ...(saveNote ? { saveNote } : {}) });
      await tell(ctx, meta.channel, user, `Backtest of ${meta.policy}: ${result.wouldNeedApproval} of ${result.runs} runs would need approval (then ${result.didNeedApproval})`, blocks);
    } catch (err) {
      ctx.logger.error('policy backtest failed', { policy: meta.policy, error: (err as Error).message });
      await tell(ctx, meta.channel, user, ':warning: The backtest failed; please try again.');
    }
  });
}
