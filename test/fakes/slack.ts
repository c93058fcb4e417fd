import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { FakeServer, counter, type RecordedCall } from './base.ts';

export interface SlackMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  metadata?: unknown;
  /** Earlier versions, oldest first, each replaced by a chat.update. */
  edits: { text?: string; blocks?: unknown[] }[];
  args: Record<string, unknown>;
}
export interface SlackEphemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  message_ts: string;
}
export interface SlackView {
  id: string;
  hash: string;
  view: Record<string, unknown>;
  trigger_id?: string;
  user_id?: string;
}
/** A file shared through files.uploadV2 (getUploadURLExternal → upload URL → completeUploadExternal). */
export interface SlackFile {
  id: string;
  filename: string;
  title?: string;
  /** The uploaded bytes as text (multipart framing included when the client sent multipart). */
  content: string;
  /** Set by completeUploadExternal. */
  channel?: string;
  thread_ts?: string;
  initial_comment?: string;
  completed: boolean;
}
export interface SlackUser {
  id: string;
  email?: string;
  name?: string;
  is_admin?: boolean;
}

const BOT = { user_id: 'UORCHBOT', bot_id: 'BORCHBOT', team_id: 'TORCH', team: 'orch-test', user: 'orch' };
/** Fields the Web API client sends JSON-encoded inside form bodies. */
const JSON_FIELDS = ['blocks', 'attachments', 'view', 'metadata', 'users', 'files'];

/**
 * Slack Web API fake: `${url}/api/<method>` with form or JSON bodies, answers like Slack
 * (HTTP 200 `{ok:false,error}` for API errors). Channel names get stable C… ids; posting to a
 * user id goes to that user's D… channel, as Slack does for bot DMs.
 */
export class SlackFake extends FakeServer {
  readonly messages: SlackMessage[] = [];
  readonly ephemerals: SlackEphemeral[] = [];
  /** Published Home tab views by user id (the latest one). */
  readonly views = new Map<string, SlackView>();
  readonly openedViews: SlackView[] = [];
  /** What Bolt's respond() posted to response URLs from responseUrl(). */
  readonly responses: { id: string; body: unknown; at: number }[] = [];
  readonly users = new Map<string, SlackUser>();
  readonly files: SlackFile[] = [];
  private seq = counter();
  /** Methods whose next answers are lost: the call is carried out, then the connection is cut (see loseAnswers). */
  private lost: { method: string; left: number }[] = [];
  private viewSeq = counter();

  constructor() {
    super('slack');
    this.app.post('/response/:id', (req, res) => {
      this.responses.push({ id: String(req.params.id), body: req.body, at: Date.now() });
      res.json({ ok: true });
    });
    this.app.post('/upload/:fileId', express.raw({ type: () => true, limit: '10mb' }), (req, res) => {
      const f = this.files.find((x) => x.id === req.params.fileId);
      if (!f) return void res.status(404).send('not found');
      f.content = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : typeof req.body === 'string' ? req.body : JSON.stringify(req.body ?? '');
      res.status(200).send(`OK - ${f.content.length}`);
    });
    this.app.all('/api/:method', (req, res) => this.dispatch(req, res));
  }

  addUser(user: SlackUser): void {
    this.users.set(user.id, user);
  }

  /** The id Slack would return for a channel name, id, or user id (a DM). */
  channelId(nameOrId: string): string {
    const name = nameOrId.replace(/^#/, '');
    if (/^[CDG][A-Z0-9]{6,}$/.test(name)) return name;
    if (/^[UW][A-Z0-9]+$/.test(name)) return `D${name}`;
    return `C${createHash('sha1').update(name).digest('hex').slice(0, 10).toUpperCase()}`;
  }

  /**
   * The next `times` calls of `method` are carried out (a message is posted) but the answer never
   * arrives: the connection is destroyed instead, as when a 200 is lost on the way back.
   */
  loseAnswers(method: string, times = 1): void {
    this.lost.push({ method, left: times });
  }

  messagesIn(channel: string): SlackMessage[] {
    const id = this.channelId(channel);
    return this.messages.filter((m) => m.channel === id);
  }

  message(channel: string, ts: string): SlackMessage | undefined {
    const id = this.channelId(channel);
    return this.messages.find((m) => m.channel === id && m.ts === ts);
  }

  /** A response_url served by this fake; what is posted there lands in `responses`. */
  responseUrl(id = `r${this.seq()}`): string {
    return `${this.url}/response/${id}`;
  }

  protected errorBody(status: number): unknown {
    return status === 429 ? { ok: false, error: 'ratelimited' } : { ok: false, error: status === 404 ? 'unknown_method' : 'fatal_error' };
  }

  protected override snapshot(req: Request): RecordedCall {
    const call = super.snapshot(req);
    call.body = parseArgs(req.body);
    return call;
  }

  protected clearState(): void {
    this.messages.length = 0;
    this.ephemerals.length = 0;
    this.views.clear();
    this.openedViews.length = 0;
    this.responses.length = 0;
    this.users.clear();
    this.files.length = 0;
    this.lost.length = 0;
  }

  private nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(this.seq()).padStart(6, '0')}`;
  }

  private dispatch(req: Request, res: Response): void {
    const method = String(req.params.method);
    const auth = req.get('authorization') ?? '';
    const args = parseArgs(req.body) as Record<string, unknown>;
    if (!/^Bearer xox[bp]-/.test(auth) && !(typeof args.token === 'string' && args.token.startsWith('xox'))) {
      res.json({ ok: false, error: 'not_authed' });
      return;
    }
    const handler = this.methods[method];
    if (!handler) {
      res.status(404).json({ ok: false, error: 'unknown_method' });
      return;
    }
    const answer = handler(args);
    const lose = this.lost.find((l) => l.method === method && l.left > 0);
    if (lose) {
      lose.left -= 1;
      req.socket.destroy();
      return;
    }
    res.json({ ...answer, ok: !('error' in answer) });
  }

  private readonly methods: Record<string, (a: Record<string, unknown>) => Record<string, unknown>> = {
    'auth.test': () => ({ url: 'https://orch-test.slack.com/', ...BOT }),
    'chat.postMessage': (a) => {
      if (!a.channel) return { error: 'channel_not_found' };
      if (!a.text && !a.blocks && !a.attachments) return { error: 'no_text' };
      const msg: SlackMessage = {
        channel: this.channelId(String(a.channel)),
        ts: this.nextTs(),
        edits: [],
        args: a,
        ...pick(a, ['text', 'blocks', 'thread_ts', 'metadata']),
      };
      this.messages.push(msg);
      return { channel: msg.channel, ts: msg.ts, message: { type: 'message', ts: msg.ts, text: msg.text, blocks: msg.blocks, bot_id: BOT.bot_id, user: BOT.user_id } };
    },
    'chat.update': (a) => {
      const msg = this.message(String(a.channel ?? ''), String(a.ts ?? ''));
      if (!msg) return { error: 'message_not_found' };
      msg.edits.push({ text: msg.text, blocks: msg.blocks });
      msg.text = a.text as string | undefined;
      // Slack drops the blocks when an update sends text without blocks.
      msg.blocks = a.blocks as unknown[] | undefined;
      if (a.metadata) msg.metadata = a.metadata;
      return { channel: msg.channel, ts: msg.ts, text: msg.text, message: { text: msg.text, blocks: msg.blocks } };
    },
    'chat.getPermalink': (a) => {
      const msg = this.message(String(a.channel ?? ''), String(a.message_ts ?? ''));
      if (!msg) return { error: 'message_not_found' };
      return { channel: msg.channel, permalink: `https://orch-test.slack.com/archives/${msg.channel}/p${msg.ts.replace('.', '')}` };
    },
    // Newest first, top-level messages only; metadata only with include_all_metadata, as Slack does.
    'conversations.history': (a) => {
      const id = this.channelId(String(a.channel ?? ''));
      const oldest = Number(a.oldest ?? 0);
      const limit = Math.min(Number(a.limit ?? 100), 999);
      const all = String(a.include_all_metadata) === 'true';
      const list = this.messages.filter((m) => m.channel === id && !m.thread_ts && Number(m.ts) >= oldest).reverse().slice(0, limit);
      return { messages: list.map((m) => ({ type: 'message', ts: m.ts, text: m.text, blocks: m.blocks, bot_id: BOT.bot_id, ...(all && m.metadata ? { metadata: m.metadata } : {}) })), has_more: false };
    },
    'chat.postEphemeral': (a) => {
      if (!a.channel || !a.user) return { error: 'invalid_arguments' };
      const e: SlackEphemeral = { channel: this.channelId(String(a.channel)), user: String(a.user), message_ts: this.nextTs(), ...pick(a, ['text', 'blocks', 'thread_ts']) };
      this.ephemerals.push(e);
      return { message_ts: e.message_ts };
    },
    'views.publish': (a) => {
      const user = String(a.user_id ?? '');
      if (!user || !a.view) return { error: 'invalid_arguments' };
      const prev = this.views.get(user);
      if (a.hash && prev && a.hash !== prev.hash) return { error: 'hash_conflict' };
      const v: SlackView = { id: prev?.id ?? `V${this.viewSeq()}`, hash: `h${this.seq()}`, view: a.view as Record<string, unknown>, user_id: user };
      this.views.set(user, v);
      return { view: viewAnswer(v) };
    },
    'views.open': (a) => this.openView(a),
    'views.push': (a) => this.openView(a),
    'views.update': (a) => {
      const v = this.openedViews.find((x) => x.id === a.view_id || (a.external_id && x.view.external_id === a.external_id));
      if (!v) return { error: 'not_found' };
      if (a.hash && a.hash !== v.hash) return { error: 'hash_conflict' };
      v.view = a.view as Record<string, unknown>;
      v.hash = `h${this.seq()}`;
      return { view: viewAnswer(v) };
    },
    'conversations.open': (a) => {
      const users = String(a.users ?? '').split(',').filter(Boolean);
      if (users.length === 0) return { error: 'users_list_not_supplied' };
      return { channel: { id: `D${users.join('')}`, is_im: users.length === 1 } };
    },
    'files.getUploadURLExternal': (a) => {
      const length = Number(a.length);
      if (!a.filename || !Number.isInteger(length) || length <= 0) return { error: 'invalid_arguments' };
      const f: SlackFile = { id: `F${this.seq()}`, filename: String(a.filename), content: '', completed: false };
      this.files.push(f);
      return { upload_url: `${this.url}/upload/${f.id}`, file_id: f.id };
    },
    'files.completeUploadExternal': (a) => {
      const list = Array.isArray(a.files) ? (a.files as { id: string; title?: string }[]) : [];
      const found = list.map((x) => this.files.find((f) => f.id === x.id));
      if (list.length === 0 || found.some((f) => !f || !f.content)) return { error: 'invalid_arguments' };
      for (const [i, f] of found.entries()) {
        if (!f) continue;
        Object.assign(f, { completed: true, title: list[i]?.title ?? f.filename, ...pick(a, ['thread_ts', 'initial_comment']) });
        if (a.channel_id) f.channel = this.channelId(String(a.channel_id));
      }
      return { files: found.map((f) => ({ id: f?.id, title: f?.title, name: f?.filename })) };
    },
    'users.info': (a) => {
      const id = String(a.user ?? '');
      if (!/^[UW][A-Z0-9]+$/.test(id)) return { error: 'user_not_found' };
      return { user: userAnswer(this.users.get(id) ?? { id }) };
    },
    'users.lookupByEmail': (a) => {
      const email = String(a.email ?? '').toLowerCase();
      const user = [...this.users.values()].find((u) => u.email?.toLowerCase() === email);
      return user ? { user: userAnswer(user) } : { error: 'users_not_found' };
    },
  };

  private openView(a: Record<string, unknown>): Record<string, unknown> {
    if (!a.trigger_id && !a.interactivity_pointer) return { error: 'invalid_arguments' };
    if (!a.view) return { error: 'invalid_arguments' };
    const v: SlackView = { id: `V${this.viewSeq()}`, hash: `h${this.seq()}`, view: a.view as Record<string, unknown>, trigger_id: String(a.trigger_id ?? '') };
    this.openedViews.push(v);
    return { view: viewAnswer(v) };
  }
}

function viewAnswer(v: SlackView) {
  return { ...v.view, id: v.id, hash: v.hash, team_id: BOT.team_id, bot_id: BOT.bot_id, state: { values: {} } };
}

function userAnswer(u: SlackUser) {
  const name = u.name ?? u.id.toLowerCase();
  return { id: u.id, team_id: BOT.team_id, name, real_name: name, tz: 'UTC', is_admin: u.is_admin ?? false, is_bot: false, profile: { email: u.email, real_name: name, display_name: name } };
}

function pick(a: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => a[k] !== undefined).map((k) => [k, a[k]]));
}

/** Form bodies carry nested fields as JSON strings; decode them so state holds real objects. */
function parseArgs(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body ?? {};
  const out: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const key of JSON_FIELDS) {
    const v = out[key];
    if (typeof v === 'string' && /^[[{]/.test(v.trim())) {
      try {
        out[key] = JSON.parse(v);
      } catch {
        // keep the raw string: Slack would answer invalid_blocks, the test will see it
      }
    }
  }
  return out;
}
