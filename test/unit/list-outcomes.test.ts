import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { runLine } from '../../blocks/run-list.ts';
import { runView } from '../../src/http/api-runs.ts';
import { HttpError } from '../../src/http/errors.ts';
import { pageLimit } from '../../src/http/paging.ts';

const req = (limit?: string) => ({ query: limit === undefined ? {} : { limit } }) as Pick<Request, 'query'> as Request;

describe('list limits', () => {
  it('when limit is unset or 1..200, then it is used as given', () => {
    expect(pageLimit(req())).toBe(50);
    expect(pageLimit(req('1'))).toBe(1);
    expect(pageLimit(req('200'))).toBe(200);
  });

  it.each(['500', '0', 'abc', '-3', '2.5'])('when limit is %j, then 400 invalid_limit says the allowed range', (limit) => {
    let err: unknown;
    try {
      pageLimit(req(limit));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_limit' });
    expect((err as Error).message).toContain('from 1 to 200');
  });
});

describe('a rejected run shows its outcome', () => {
  const run = { _id: 'run_rej1', workflowId: 'procurement-approval', status: 'COMPLETED', objectType: 'deal', objectId: '7', startedAt: new Date(0), finishedAt: new Date(5000), result: { outcome: 'rejected' } };

  it('when the API lists it, then outcome is "rejected" next to status COMPLETED', () => {
    expect(runView(run)).toMatchObject({ status: 'COMPLETED', outcome: 'rejected' });
    expect(runView({ ...run, result: undefined })).toMatchObject({ outcome: null });
  });

  it('when /orch runs lists it, then the line reads COMPLETED (rejected)', () => {
    expect(runLine(run, new Date(10_000))).toContain('COMPLETED (rejected)');
    expect(runLine({ ...run, result: { outcome: 'completed' } }, new Date(10_000))).not.toContain('(completed)');
  });
});
