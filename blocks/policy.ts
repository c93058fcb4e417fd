import type { KnownBlock } from '@slack/types';
import type { PolicyAsOf } from '../src/services/policy-lookup.ts';
import type { PolicyRule } from '../workflows/policy-eval.ts';
import { packLines } from './diff.ts';
import { stamp } from './format.ts';
import { mrkdwn, plain, SLACK_LIMITS, truncate } from './limits.ts';
import { esc } from './text.ts';
import { safe, who } from './why.ts';

const SOURCE: Record<PolicyAsOf['source'], string> = { neo4j: 'Neo4j lineage', mongodb: 'MongoDB' };

function ruleLine(r: PolicyRule): string {
  const value = truncate(JSON.stringify(r.when?.value ?? null), 200);
  const approval = r.requiresApproval === false ? 'flag only' : 'needs approval';
  return `• \`${esc(r.id)}\` ${safe(r.description ?? '', 150)} — when \`${esc(r.when?.field ?? '?')} ${r.when?.op ?? '?'} ${esc(value)}\` · ${r.level ?? 'MEDIUM'} · ${approval}`;
}

/** `/orch policy <name> [--as-of <date>]`: the version in force then, its rules and thresholds. */
export function buildPolicyAsOf(name: string, r: PolicyAsOf): { text: string; blocks: KnownBlock[] } {
  const when = stamp(r.at);
  if (!r.policy) {
    const known = r.known.length ? ` Known policies: ${r.known.map((k) => `\`${esc(k, 60)}\``).join(', ')}.` : '';
    const text = `No version of policy \`${esc(name, 80)}\` was in force at ${when}.${known}`;
    return { text, blocks: [{ type: 'section', block_id: 'policy_none', text: mrkdwn(`:grey_question: ${text}`) }] };
  }
  const p = r.policy;
  const validity = `Valid from ${stamp(p.validFrom)} ${p.validTo ? `to ${stamp(p.validTo)}` : '(still in force)'} · created by ${who(p.createdBy)} · source: ${SOURCE[r.source]}`;
  const thresholds = Object.entries(p.thresholds ?? {}).map(([k, v]) => `\`${esc(k, 60)}\` = ${esc(JSON.stringify(v), 100)}`);
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(`Policy ${p.name} v${p.version} at ${when}`, SLACK_LIMITS.headerText) },
    { type: 'context', block_id: 'policy_validity', elements: [mrkdwn(validity)] },
  ];
  if (p.description) blocks.push({ type: 'section', text: mrkdwn(safe(p.description, 1000)) });
  blocks.push({ type: 'section', block_id: 'policy_thresholds', text: mrkdwn(`*Thresholds*\n${thresholds.join(' · ') || '_none_'}`) });
  for (const chunk of packLines([`*Rules (${p.rules.length})*`, ...p.rules.slice(0, 40).map(ruleLine)])) blocks.push({ type: 'section', text: mrkdwn(chunk) });
  return { text: esc(`Policy ${p.name} v${p.version} was in force at ${when}.`), blocks };
}
