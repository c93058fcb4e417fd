import { describe, expect, it } from 'vitest';
import { useAppWithDb } from '../helpers/e2e-app.ts';
import { until } from '../helpers/ingest.ts';
import { approvalIdOf, dealWebhook, waitForSheet } from '../helpers/approvals.ts';

/** Issue 14 defect 8: App Home refreshes run on their own Slack client; sheets never wait behind them. */
const e2e = useAppWithDb('homeiso', { env: { ORCH_MODE: 'live', ORCH_RUNS_POLL: '200ms', LOG_LEVEL: 'warn', ORCH_HOME_MAX_VIEWERS: '25' } });

const publishes = () => e2e.fakes.slack.calls.filter((c) => c.path === '/api/views.publish');

describe('App Home under a views.publish rate limit', () => {
  it('when 100 viewers have Home open and Slack answers views.publish with 429 Retry-After 30, then an approval sheet still posts within 1 s', async () => {
    e2e.fakes.slack.inject({ match: 'POST /api/views.publish', status: 429, retryAfter: 30, times: Infinity });
    for (let i = 0; i < 100; i++) {
      const res = await e2e.app.slackEvent({ type: 'app_home_opened', user: `UVIEW${String(i).padStart(3, '0')}`, channel: `DVIEW${i}`, tab: 'home' });
      expect(res.status).toBe(200);
    }
    await until(async () => publishes().length > 0, 10_000, 'a rate-limited views.publish');

    await dealWebhook(e2e.app, e2e.fakes, '8801', { dealname: 'Home Storm Deal', amount: '25000', dealstage: 'qualifiedtobuy' });
    const sheet = await waitForSheet(e2e.fakes, 'Home Storm Deal', 10_000);
    const approval = await e2e.db.Approval.findById(approvalIdOf(sheet)).lean();
    const post = e2e.fakes.slack.calls.find((c) => c.path === '/api/chat.postMessage' && JSON.stringify(c.body).includes('Home Storm Deal'));
    const waitedMs = (post?.at ?? Infinity) - new Date(approval!.createdAt as Date).getTime();
    expect(waitedMs).toBeLessThan(1000);
    // Home stops calling while Slack says wait: no retry storm of 100 publishes per change.
    expect(publishes().length).toBeLessThanOrEqual(30);
  });
});
