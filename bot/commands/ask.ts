import { buildAskAnswer } from '../../blocks/ask.ts';
import { ask } from '../../src/services/ask.ts';
import { UsageError, type Subcommand } from './types.ts';

export const askCommand: Subcommand = {
  name: 'ask',
  usage: 'ask <question in plain words>',
  summary: 'e.g. "who approved deal 4242?", "what is waiting for me?" (catalogue: docs/surfaces.md)',
  role: 'viewer',
  async run({ ctx, args, userId, now }) {
    const question = args.join(' ').trim();
    if (!question) throw new UsageError('ask a question, e.g. `/orch ask why was company 9101 approved?`');
    return buildAskAnswer(question, await ask(ctx, question.slice(0, 1000), userId, now));
  },
};
