/**
 * `npm run bench:pii`: how long blocks/pii.ts takes to mask 100 KB strings of different shapes
 * (the target is ≤ 5 ms for 100 KB), plus the old quadratic case (a 65,536-character name) and
 * building an approval sheet around a 60,000-character company name. Pure CPU, no database.
 *   BENCH_ITERATIONS (50): runs per shape after 3 warm-up runs; p50 and max are printed.
 */
import { maskPii } from '../blocks/pii.ts';
import { buildApprovalSheet, sheetText, type ApprovalSheetInput } from '../blocks/approval-sheet.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 50);
const KB100 = 100_000;

const fill = (unit: string, n = KB100) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
const SHAPES: Record<string, string> = {
  'prose, no PII': fill('Acme Holdings signed for 250 seats in Q3 2024, revenue 25000000.5 EUR, renewal 31.12.2024. '),
  'prose, 1 email + 1 phone per KB': fill(`${'The customer asked about onboarding and the integration timeline for next quarter. '.repeat(11)}Call 415 555 4567 or mail jané.doe@acme.com. `, KB100),
  'amounts and dates only': fill('1.250.000 EUR 31.12.2024 25000000.5 7701 (7701) '),
  'dense: a phone every 30 chars': fill('tel +1 (415) 555-4567, office '),
  'adversarial: 100k letters': fill('a'),
  'adversarial: "a@" repeated': fill('a@'),
  'adversarial: 100k digits': fill('0123456789'),
  'adversarial: local part then @ without domain': fill(`${'x'.repeat(60)}@ `),
};

function time(fn: () => unknown): { p50: number; max: number } {
  for (let i = 0; i < 3; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { p50: t[Math.floor(t.length / 2)] ?? NaN, max: t.at(-1) ?? NaN };
}

const fmt = (n: number) => `${n.toFixed(2)} ms`;
console.log(`maskPii over 100 KB strings (${ITERATIONS} runs each, after 3 warm-up runs; target ≤ 5 ms)`);
for (const [name, text] of Object.entries(SHAPES)) {
  const r = time(() => maskPii(text));
  console.log(`  ${name.padEnd(48)} p50 ${fmt(r.p50).padStart(10)}  max ${fmt(r.max).padStart(10)}  ${r.p50 <= 5 ? 'ok' : 'OVER TARGET'}`);
}

// Numbers the validator has not seen before (its verdicts are remembered): a new text every run.
const fresh = () => {
  let s = '';
  while (s.length < KB100) s += `tel +1 (415) ${200 + Math.floor(Math.random() * 800)}-${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}, office `;
  return s.slice(0, KB100);
};
const texts = Array.from({ length: ITERATIONS + 3 }, fresh);
let k = 0;
const rf = time(() => maskPii(texts[k++ % texts.length] as string));
console.log(`  ${'dense, every number new (not remembered)'.padEnd(48)} p50 ${fmt(rf.p50).padStart(10)}  max ${fmt(rf.max).padStart(10)}  ${rf.p50 <= 5 ? 'ok' : 'OVER TARGET'}`);
// What a surface does with such a text: cut to a section's 3,000 characters, then mask.
const unseen = Array.from({ length: ITERATIONS + 3 }, fresh);
let u = 0;
const rd = time(() => maskPii(unseen[u++ % unseen.length] as string, 3000));
console.log(`  ${'  … new ones, cut to 3,000 chars first (surfaces)'.padEnd(48)} p50 ${fmt(rd.p50).padStart(10)}  max ${fmt(rd.max).padStart(10)}  ${rd.p50 <= 5 ? 'ok' : 'OVER TARGET'}`);

const name64k = fill('Mirror Group International ', 65_536);
const r64 = time(() => maskPii(name64k));
console.log(`maskPii, a 65,536-character name (was 4.2 s with the old regex): p50 ${fmt(r64.p50)}, max ${fmt(r64.max)}`);

const sheet: ApprovalSheetInput = {
  approvalId: 'apr_bench', runId: 'run_bench', workflowId: 'company-intake', title: fill('Acme <!channel> 415 555 4567 ', 60_000),
  objectType: 'company', objectId: '123', trigger: 'company.creation', requestedAt: new Date(),
  fields: [{ label: 'Domain', value: 'acme.com' }, { label: 'Description', value: fill('jane@acme.com call 415 555 4567 ', 60_000) }],
  diff: [{ field: 'name', kind: 'added', new: fill('Acme ', 60_000) }], flags: [], policy: { name: 'company-intake', version: 1, matched: [] },
  intendedWrites: [], mode: 'dry-run',
};
const rs = time(() => ({ blocks: buildApprovalSheet(sheet), text: sheetText(sheet) }));
console.log(`approval sheet + text with a 60,000-character company name (was 15.6 s): p50 ${fmt(rs.p50)}, max ${fmt(rs.max)}`);
