import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { OpenAIAdapter } from '../src/integrations/openai.ts';
import type { Logger } from '../src/logger.ts';

/** The kickoff's draft agenda: OpenAI under a strict schema when configured, else the template (workflows/kickoff-agenda.json). */
export interface Agenda {
  title: string;
  items: string[];
  source: 'openai' | 'template';
}

const templateSchema = z.object({ title: z.string().min(1), items: z.array(z.string().min(1)).min(1).max(12) });
const answerSchema = z.strictObject({ items: z.array(z.string().min(3).max(200)).min(3).max(8) });
const AGENDA_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: { type: 'string' }, description: '3 to 8 short agenda items for an internal post-sale kickoff' } },
} as const;
const SYSTEM = 'You draft the agenda of an internal kickoff meeting after a B2B deal is won. Answer only with the JSON object the schema describes: 3 to 8 short, concrete items.';

let template: z.infer<typeof templateSchema> | undefined;

export function agendaTemplate(): z.infer<typeof templateSchema> {
  template ??= templateSchema.parse(JSON.parse(readFileSync(new URL('./kickoff-agenda.json', import.meta.url), 'utf8')));
  return template;
}

export interface AgendaInput {
  deal: string;
  company: string;
  amount: string;
}

export function templateAgenda(input: AgendaInput): Agenda {
  const fill = (t: string) => t.replace(/\{deal\}/g, input.deal).replace(/\{company\}/g, input.company).replace(/\{amount\}/g, input.amount);
  const t = agendaTemplate();
  return { title: fill(t.title), items: t.items.map(fill), source: 'template' };
}

export async function draftAgenda(openai: Pick<OpenAIAdapter, 'structured'> | null, input: AgendaInput, logger: Logger): Promise<Agenda> {
  if (!openai) return templateAgenda(input);
  try {
    const raw = await openai.structured({ name: 'kickoff_agenda', schema: AGENDA_JSON_SCHEMA, system: SYSTEM, user: JSON.stringify(input) });
    const parsed = answerSchema.safeParse(raw);
    if (!parsed.success) throw new Error('the answer does not match the agenda schema');
    return { title: templateAgenda(input).title, items: parsed.data.items, source: 'openai' };
  } catch (err) {
    logger.warn('OpenAI agenda draft failed, using the template', { error: (err as Error).message.slice(0, 200) });
    return templateAgenda(input);
  }
}
