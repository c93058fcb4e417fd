/**
 * The small subset of Airtable formulas the fake understands for filterByFormula:
 * `{Field} = 'value'` (also `"value"`, numbers, `!=`), `RECORD_ID() = 'rec…'`, `TRUE()`, `FALSE()`,
 * and `AND(…)`, `OR(…)`, `NOT(…)` of those. Anything else throws, so a test using an
 * unsupported formula fails loudly instead of silently matching everything.
 */
export type FieldValue = string | number | boolean | null | unknown[] | Record<string, unknown>;
type Row = { id: string; fields: Record<string, FieldValue> };
type Pred = (r: Row) => boolean;

export function parseFormula(formula: string): Pred {
  const text = formula.trim();
  const call = /^(AND|OR|NOT)\s*\(([\s\S]*)\)$/i.exec(text);
  if (call && balanced(call[2] as string)) {
    const parts = splitArgs(call[2] as string).map(parseFormula);
    const op = (call[1] as string).toUpperCase();
    if (op === 'AND') return (r) => parts.every((p) => p(r));
    if (op === 'OR') return (r) => parts.some((p) => p(r));
    if (parts.length !== 1) throw new Error('NOT takes one argument');
    const inner = parts[0] as Pred;
    return (r) => !inner(r);
  }
  if (/^TRUE\(\)$/i.test(text)) return () => true;
  if (/^FALSE\(\)$/i.test(text)) return () => false;
  const cmp = /^(\{[^}]+\}|RECORD_ID\(\))\s*(=|!=)\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)$/i.exec(text);
  if (!cmp) throw new Error(`unsupported formula in the fake: ${text}`);
  const [, lhs, op, rhs] = cmp as unknown as [string, string, string, string];
  const expected = /^['"]/.test(rhs) ? rhs.slice(1, -1).replace(/\\(.)/g, '$1') : rhs;
  const read: (r: Row) => string = /^RECORD_ID/i.test(lhs) ? (r) => r.id : (r) => plain(r.fields[lhs.slice(1, -1)]);
  return op === '=' ? (r) => read(r) === expected : (r) => read(r) !== expected;
}

/** How Airtable compares a field with a string: empty is '', arrays join with ', '. */
function plain(v: FieldValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => String(x)).join(', ');
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

function balanced(s: string): boolean {
  let depth = 0;
  let quote: string | null = null;
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0 && !quote;
}

/** Splits on top-level commas, outside quotes and parentheses. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let cur = '';
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}
