import type { TriggerTable } from '../../workflows/triggers.ts';

/**
 * manifest.yml with every placeholder URL replaced by PUBLIC_URL: ready to paste into
 * api.slack.com/apps. In Socket Mode (SLACK_APP_TOKEN set) Slack needs no URLs: they are dropped
 * and socket_mode_enabled is turned on, as the file's comment says to do by hand.
 */
export function manifestFor(manifestText: string, publicUrl: string, socketMode = false): string {
  // The file's leading comment tells a reader to replace the URL: done here, so it goes.
  const body = manifestText.replace(/^(#[^\n]*\n)+/, '');
  if (socketMode) return body.replace(/^\s*(url|request_url): .*\n/gm, '').replace(/socket_mode_enabled: false/, 'socket_mode_enabled: true');
  return body.replaceAll('https://orch.example.com', publicUrl.replace(/\/+$/, ''));
}

export interface Subscription {
  /** e.g. company.creation, deal.propertyChange */
  event: string;
  /** For propertyChange: one HubSpot subscription per property. */
  properties: string[];
  workflows: string[];
}

/** The webhook subscriptions the enabled triggers need, one entry per event type. */
export function webhookSubscriptions(table: TriggerTable): Subscription[] {
  const byEvent = new Map<string, { properties: Set<string>; workflows: Set<string> }>();
  for (const t of table.triggers.filter((x) => x.enabled)) {
    for (const event of t.events) {
      const entry = byEvent.get(event) ?? { properties: new Set<string>(), workflows: new Set<string>() };
      entry.workflows.add(t.workflowId);
      if (event.endsWith('.propertyChange')) {
        for (const p of t.properties ?? []) entry.properties.add(p);
        for (const st of t.stageTransitions ?? []) entry.properties.add(st.property);
      }
      byEvent.set(event, entry);
    }
  }
  return [...byEvent].map(([event, e]) => ({ event, properties: [...e.properties].sort(), workflows: [...e.workflows].sort() }));
}

export function webhookText(table: TriggerTable, publicUrl: string): string {
  const lines = [`Target URL: ${publicUrl.replace(/\/+$/, '')}/webhooks/hubspot   (HubSpot app > Webhooks; keep concurrency at 10)`, 'Subscriptions (the app\'s client secret goes into HUBSPOT_CLIENT_SECRET: it signs every webhook):'];
  for (const s of webhookSubscriptions(table)) {
    const props = s.event.endsWith('.propertyChange') ? `: ${s.properties.length ? s.properties.join(', ') : 'every property you want to trigger on'}` : '';
    lines.push(`  - ${s.event}${props}   (${s.workflows.join(', ')})`);
  }
  return lines.join('\n');
}
