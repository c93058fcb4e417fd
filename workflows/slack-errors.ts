import { WorkflowError } from './errors.ts';

/**
 * Slack WebClient errors → workflow error classes: request/HTTP errors are worth a retry,
 * platform errors (channel_not_found, not_in_channel...) need a human to fix the configuration.
 */
export function slackError(err: unknown, what: string): Error {
  const e = err as { code?: string; data?: { error?: string }; message?: string };
  if (e?.code === 'slack_webapi_platform_error') {
    const code = e.data?.error ?? 'unknown';
    const kind = code === 'ratelimited' ? 'rate_limited' : code === 'internal_error' || code === 'fatal_error' ? 'transient' : 'configuration';
    return new WorkflowError(kind, `Slack ${what} failed: ${code}`);
  }
  if (e?.code === 'slack_webapi_request_error' || e?.code === 'slack_webapi_http_error' || e?.code === 'slack_webapi_rate_limited_error') {
    return new WorkflowError('transient', `Slack ${what} failed: ${e.message ?? e.code}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
