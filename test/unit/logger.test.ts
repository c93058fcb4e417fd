import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';

function capture(secrets: string[]) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ secrets, stream, level: 'debug' }), lines };
}

describe('logger', () => {
  it('when secrets appear under secret-looking keys, in messages or nested errors, then none reaches the output', async () => {
    const { logger, lines } = capture(['hs-client-secret-value', 'super-api-token-123']);
    logger.info('calling with hs-client-secret-value', {
      headers: { authorization: 'Bearer abc.def', 'x-hubspot-signature-v3': 'c2lnbmF0dXJl' },
      token: 'xoxb-111-222-abc',
      nested: { text: 'token is super-api-token-123', url: 'mongodb://orch:p4ssw0rd@db.example.com/orch' },
      error: new Error('failed for xoxb-999-888-zzz'),
      runId: 'run_1',
    });
    logger.child({ correlationId: 'c-1' }).warn('child', { signature: 'deadbeef' });
    await new Promise((r) => setImmediate(r));
    const out = lines.join('\n');
    for (const leaked of ['hs-client-secret-value', 'super-api-token-123', 'abc.def', 'c2lnbmF0dXJl', 'xoxb-111', 'xoxb-999', 'p4ssw0rd', 'deadbeef']) {
      expect(out).not.toContain(leaked);
    }
    const first = JSON.parse(lines[0] as string);
    expect(first.runId).toBe('run_1');
    expect(first.nested.url).toContain('db.example.com');
    expect(JSON.parse(lines[1] as string).correlationId).toBe('c-1');
  });
});
