import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  profiles?: string[];
  command?: string[];
}
const text = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
const compose = parse(text) as { services: Record<string, Service> };
const services = compose.services;
const SECRET = /(PASSWORD|TOKEN|SECRET|API_KEY)/;

/** Every `${VAR...}` interpolation in the file, with its operator (`:?` required, `:-` default, none). */
function interpolations(): { name: string; op: string }[] {
  return [...text.matchAll(/\$\{([A-Z0-9_]+)(:\?|:-|\?|-)?[^}]*\}/g)].map((m) => ({ name: m[1] as string, op: m[2] ?? '' }));
}

describe('docker-compose.yml', () => {
  it('when a secret is interpolated, then it has no default: compose refuses to start until .env sets it', () => {
    const secrets = interpolations().filter((i) => SECRET.test(i.name));
    expect(secrets.map((s) => s.name)).toContain('NEO4J_PASSWORD');
    expect(secrets.filter((s) => s.op !== ':?').map((s) => `${s.name} uses "${s.op}"`)).toEqual([]);
    expect(text).not.toMatch(/change-me|changeme/i);
  });

  it('when no secret is literal in the file, then every value that looks like one comes from .env', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [key, value] of Object.entries(svc.environment ?? {})) {
        if (SECRET.test(key)) expect(String(value), `${name}.${key}`).toMatch(/^\$\{[A-Z0-9_]+:\?/);
      }
    }
  });

  it('when the stack runs, then only orch (on loopback) and the https proxy publish ports; /metrics stays on the internal network', () => {
    expect(services.mongo?.ports ?? []).toEqual([]);
    expect(services.neo4j?.ports ?? []).toEqual([]);
    const orch = services.orch as Service;
    expect(orch.ports).toEqual(['127.0.0.1:3000:3000']);
    expect(orch.environment?.ORCH_METRICS_PORT).toBe('9464');
    expect((orch.ports ?? []).some((p) => p.includes('9464'))).toBe(false);
  });

  it('when the https profile is chosen, then Caddy terminates TLS for PUBLIC_URL with automatic certificates and proxies to orch', () => {
    const caddy = services.caddy as Service;
    expect(caddy.profiles).toEqual(['https']);
    expect(caddy.image).toMatch(/^caddy:/);
    expect(caddy.ports).toEqual(expect.arrayContaining(['80:80', '443:443']));
    expect(caddy.command?.join(' ')).toMatch(/reverse-proxy --from \$\{PUBLIC_URL:\?[^}]*\} --to orch:3000/);
  });
});
