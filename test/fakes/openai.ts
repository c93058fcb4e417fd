import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { FakeServer } from './base.ts';

export interface ChatRequest {
  model: string;
  messages: { role: string; content: unknown }[];
  response_format?: { type: string; json_schema?: { name?: string; schema?: unknown; strict?: boolean } };
  [k: string]: unknown;
}
/** A string is sent as is; an object is JSON-encoded; `{ refusal }` answers with a refusal. */
export type ChatAnswer = string | Record<string, unknown> | { refusal: string };
export type Responder = ChatAnswer | ((req: ChatRequest) => ChatAnswer);

/** Valid output for the company-enrichment schema, derived from the prompt so runs differ. */
export function defaultEnrichment(req: ChatRequest): Record<string, unknown> {
  const prompt = req.messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n');
  const name = /"?name"?\s*[:=]\s*"?([^",\n}]+)/i.exec(prompt)?.[1]?.trim() ?? 'The company';
  return { industry: 'Software', riskLevel: 'LOW', summary: `${name} is a software company with no known risk signals.` };
}

/**
 * OpenAI fake (baseURL = `${url}/v1`): POST /v1/chat/completions answering in the real response
 * shape. The answer comes from respondWith() (fixed or per request); by default it is valid
 * company-enrichment JSON. Errors follow OpenAI's `{ error: { message, type, code } }` shape.
 */
export class OpenAIFake extends FakeServer {
  readonly requests: ChatRequest[] = [];
  private responder: Responder = defaultEnrichment;

  constructor() {
    super('openai');
    this.app.post('/v1/chat/completions', (req, res) => this.complete(req, res));
  }

  respondWith(r: Responder): void {
    this.responder = r;
  }

  protected errorBody(status: number): unknown {
    if (status === 429) return { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } };
    if (status === 401) return { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } };
    if (status === 404) return { error: { message: 'Unknown request URL', type: 'invalid_request_error', param: null, code: 'unknown_url' } };
    if (status >= 500) return { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } };
    return { error: { message: `status ${status}`, type: 'invalid_request_error', param: null, code: null } };
  }

  protected clearState(): void {
    this.requests.length = 0;
    this.responder = defaultEnrichment;
  }

  private complete(req: Request, res: Response): void {
    if (!/^Bearer \S+/.test(req.get('authorization') ?? '')) {
      res.status(401).json(this.errorBody(401));
      return;
    }
    const body = req.body as ChatRequest | undefined;
    if (!body?.model || !Array.isArray(body.messages) || body.messages.length === 0) {
      res.status(400).json({ error: { message: "Missing required parameter: 'messages'.", type: 'invalid_request_error', param: 'messages', code: 'missing_required_parameter' } });
      return;
    }
    this.requests.push(body);
    const answer = typeof this.responder === 'function' ? this.responder(body) : this.responder;
    const refusal = typeof answer === 'object' && 'refusal' in answer && typeof answer.refusal === 'string' ? answer.refusal : null;
    const content = refusal ? null : typeof answer === 'string' ? answer : JSON.stringify(answer);
    const promptTokens = Math.ceil(JSON.stringify(body.messages).length / 4);
    const completionTokens = Math.ceil((content ?? refusal ?? '').length / 4);
    res.json({
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      system_fingerprint: 'fp_fake',
    });
  }
}
