import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { dispatch, registerSubcommand } from '../../bot/commands/index.ts';
import { UsageError } from '../../bot/commands/types.ts';
import { createLogger } from '../../src/logger.ts';
import type { AppContext } from '../../src/context.ts';

// Only what dispatch touches for a viewer-level subcommand: the role lookup and the logger.
function fakeCtx() {
  const out = new PassThrough();
  let logged = '';
  out.on('data', (c: Buffer) => (logged += c.toString()));
  const models = { User: { findOne: () => ({ lean: async () => null }) } };
  const ctx = { models, logger: createLogger({ level: 'error', stream: out }) } as unknown as AppContext;
  return { ctx, logs: () => logged };
}

registerSubcommand({ name: 'zz-boom', usage: 'zz-boom', summary: 'test', role: 'viewer', run: async () => { throw new Error('secret internals at line 42'); } });
registerSubcommand({ name: 'zz-usage', usage: 'zz-usage <x>', summary: 'test', role: 'viewer', run: async () => { throw new UsageError('give x'); } });

describe('/orch dispatch', () => {
  it('when a handler crashes, then the user gets a short message with a reference and no internals, and the error is logged', async () => {
    const { ctx, logs } = fakeCtx();
    const r = await dispatch(ctx, {}, { text: 'zz-boom', userId: 'U1' });
    expect(r.text).toMatch(/^:warning: `\/orch zz-boom` failed \(ref `err_[a-z0-9]{8}`\)/);
    expect(r.text).not.toContain('secret internals');
    await new Promise((resolve) => setImmediate(resolve));
    expect(logs()).toContain('secret internals at line 42');
  });

  it('when a handler rejects its arguments, then the one-line usage is the whole answer', async () => {
    const { ctx } = fakeCtx();
    expect(await dispatch(ctx, {}, { text: 'zz-usage', userId: 'U1' })).toEqual({ text: 'Usage: `/orch zz-usage &lt;x&gt;` — give x' });
  });

  it('when the text is empty, then help is shown; an unknown word gets help with no wild guess', async () => {
    const { ctx } = fakeCtx();
    expect((await dispatch(ctx, {}, { text: '   ', userId: 'U1' })).text).toBe('orch commands');
    expect((await dispatch(ctx, {}, { text: 'qwertyuiop', userId: 'U1' })).text).toBe('Unknown command `qwertyuiop`.');
  });
});
