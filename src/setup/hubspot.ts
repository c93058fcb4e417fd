import { Client } from '@hubspot/api-client';
import type { HubSpotPropertySpec } from './requirements.ts';

export interface PropertyCheck {
  spec: HubSpotPropertySpec;
  state: 'exists' | 'missing' | 'created' | 'failed';
  error?: string;
}

export interface HubSpotSetupResult {
  ok: boolean;
  /** One line naming the variable and the fix when the token itself is refused. */
  problem?: string;
  properties: PropertyCheck[];
}

const REFUSED = 'HUBSPOT_ACCESS_TOKEN was refused by HubSpot';

async function errorText(res: { status: number; text(): Promise<string> }): Promise<string> {
  const body = await res.text().catch(() => '');
  try {
    return `${res.status} ${(JSON.parse(body) as { message?: string }).message ?? body}`.slice(0, 300);
  } catch {
    return `${res.status} ${body}`.slice(0, 300);
  }
}

/**
 * Checks (and with `apply`, creates) orch's custom properties through the properties API
 * (`GET /crm/v3/properties/{type}/{name}`, `POST /crm/v3/properties/{type}`), with the SDK's
 * request helper. Needs the `crm.schemas.<type>.read` / `.write` scopes of the private app.
 */
export async function setupHubSpotProperties(opts: { accessToken: string; basePath: string; apply: boolean; specs: readonly HubSpotPropertySpec[] }): Promise<HubSpotSetupResult> {
  const client = new Client({ accessToken: opts.accessToken, basePath: opts.basePath });
  const properties: PropertyCheck[] = [];
  for (const spec of opts.specs) {
    let res;
    try {
      res = await client.apiRequest({ method: 'GET', path: `/crm/v3/properties/${spec.objectType}/${spec.name}` });
    } catch (err) {
      return { ok: false, problem: `HubSpot could not be reached at ${opts.basePath} (${(err as Error).message})`, properties };
    }
    if (res.status === 401) return { ok: false, problem: `${REFUSED} (401): copy the access token of your private app (Settings > Integrations > Private apps)`, properties };
    if (res.status === 403) return { ok: false, problem: `${REFUSED} (403): give the private app the scopes crm.schemas.${spec.objectType}.read and .write`, properties };
    if (res.ok) {
      properties.push({ spec, state: 'exists' });
      continue;
    }
    if (res.status !== 404) {
      properties.push({ spec, state: 'failed', error: await errorText(res) });
      continue;
    }
    if (!opts.apply) {
      properties.push({ spec, state: 'missing' });
      continue;
    }
    const { objectType, ...body } = spec;
    const created = await client.apiRequest({ method: 'POST', path: `/crm/v3/properties/${objectType}`, body });
    properties.push(created.ok ? { spec, state: 'created' } : { spec, state: 'failed', error: await errorText(created) });
  }
  return { ok: properties.every((p) => p.state !== 'failed'), properties };
}
