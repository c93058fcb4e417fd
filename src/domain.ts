import { domainToUnicode } from 'node:url';

/**
 * THE company domain normalizer: what the approval sheet shows, what the Airtable mirror gets and
 * what reconciliation compares all go through this one function (workflows/company-intake.ts and
 * src/reconcile/mirror-fields.ts import it), so an approver never approves one domain while
 * another is written. "https://www.Acme-Bank.com:443/about?x#y" → "acme-bank.com".
 */
export function normalizeDomain(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === null) return null;
  const text = String(first).trim().toLowerCase();
  if (text === '') return null;
  const host = hostOf(text) ?? text.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').split(/[/?#\s]/)[0] ?? '';
  const bare = host.replace(/^www\./, '').replace(/\.+$/, '');
  return bare === '' ? null : bare;
}

/** The host of a URL or bare domain (userinfo, port, path, query and fragment dropped), in Unicode. */
function hostOf(text: string): string | null {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//.test(text) ? text : `http://${text}`;
  if (!URL.canParse(withScheme)) return null;
  const { hostname } = new URL(withScheme);
  if (!hostname) return null;
  return domainToUnicode(hostname) || hostname;
}
