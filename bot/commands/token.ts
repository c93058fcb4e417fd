import { createToken, listTokens, revokeToken, type TokenView } from '../../src/services/api-tokens.ts';
import { UsageError, type Subcommand } from './types.ts';

const day = (d: Date) => d.toISOString().slice(0, 10);

function tokenLine(t: TokenView, now: Date): string {
  const state = t.expiresAt.getTime() <= now.getTime() ? `*expired* ${day(t.expiresAt)}` : `expires ${day(t.expiresAt)}`;
  return `• \`${t.name}\` (${t.role}) created ${day(t.createdAt)}, ${state}${t.lastUsedAt ? `, last used ${day(t.lastUsedAt)}` : ', never used'}`;
}

/**
 * `/orch token create|list|revoke <name>`: personal API tokens acting as the caller. The secret is
 * in this one ephemeral answer only; orch keeps its hash.
 */
export const tokenCommand: Subcommand = {
  name: 'token',
  usage: 'token create|list|revoke <name>',
  summary: 'personal API tokens that act as you',
  role: 'operator',
  async run({ ctx, args, userId, role, now }) {
    const [verb = '', name = ''] = args;
    if (verb === 'list' && args.length === 1) {
      const tokens = await listTokens(ctx.models, userId);
      return { text: tokens.length ? `Your API tokens:\n${tokens.map((t) => tokenLine(t, now)).join('\n')}` : 'You have no API tokens. Create one with `/orch token create <name>`.' };
    }
    if (args.length !== 2 || !['create', 'revoke'].includes(verb)) throw new UsageError('e.g. `/orch token create ci-bot`, `/orch token list`, `/orch token revoke ci-bot`');
    if (verb === 'revoke') {
      const gone = await revokeToken(ctx.models, userId, name);
      return { text: gone ? `:white_check_mark: Token \`${name}\` is revoked: requests with it now get 401.` : `You have no token named \`${name}\` (see \`/orch token list\`).` };
    }
    const made = await createToken(ctx.models, { userId, role, name, ttlMs: ctx.config.ORCH_API_TOKEN_TTL, now });
    if (!made.ok) return { text: made.message };
    return {
      text: [
        `:key: API token \`${name}\` acts as <@${userId}> (${role}) until ${day(made.token.expiresAt)}. Copy it now: it is shown only this once.`,
        `\`\`\`${made.secret}\`\`\``,
        'Send it as `Authorization: Bearer <token>`. Revoke it with `/orch token revoke ' + name + '`.',
      ].join('\n'),
    };
  },
};
