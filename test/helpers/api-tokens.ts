import type { AppProcess } from './app-process.ts';
import type { Fakes } from '../fakes/index.ts';
import { until } from './ingest.ts';

/** The ephemeral answer to one signed `/orch <text>` by `user` (via the Slack fake's response_url). */
export async function orchReply(app: AppProcess, fakes: Fakes, user: string, text: string): Promise<string> {
  const before = fakes.slack.responses.length;
  const res = await app.slashCommand({ text, user_id: user });
  if (res.status !== 200) throw new Error(`/orch ${text} answered ${res.status}`);
  const r = await until(async () => fakes.slack.responses.slice(before).find((x) => x.body !== undefined), 10_000, `reply to /orch ${text}`);
  return String((r.body as { text?: string }).text ?? '');
}

/** `/orch token create <name>` as `user`; returns the secret shown once. */
export async function personalToken(app: AppProcess, fakes: Fakes, user: string, name: string): Promise<string> {
  const text = await orchReply(app, fakes, user, `token create ${name}`);
  const secret = /orch_pat_[A-Za-z0-9_-]+/.exec(text)?.[0];
  if (!secret) throw new Error(`no token in the reply: ${text}`);
  return secret;
}
