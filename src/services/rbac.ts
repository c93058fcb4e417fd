import type { AppContext } from '../context.ts';
import type { Models } from '../db/models/index.ts';
import type { Role } from '../db/models/user.ts';
import { audit } from './audit.ts';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** ORCH_ADMINS are admins from the first start; later role changes in MongoDB are kept. */
export async function seedAdmins(ctx: Pick<AppContext, 'config' | 'models' | 'logger'>): Promise<void> {
  for (const id of ctx.config.ORCH_ADMINS) {
    await ctx.models.User.updateOne({ slackUserId: id }, { $setOnInsert: { slackUserId: id, role: 'admin', addedBy: 'ORCH_ADMINS' } }, { upsert: true });
  }
  if (ctx.config.ORCH_ADMINS.length === 0) ctx.logger.warn('ORCH_ADMINS is empty: nobody can approve until an admin is added');
}

export async function roleOf(models: Pick<Models, 'User'>, slackUserId: string): Promise<Role> {
  const user = await models.User.findOne({ slackUserId }, { role: 1 }).lean();
  return (user?.role as Role | undefined) ?? 'viewer';
}

export function hasRole(actual: Role, needed: Role): boolean {
  return RANK[actual] >= RANK[needed];
}

/**
 * Checks that `actor` holds at least `needed`; a refusal is audited (invariant 5).
 * Returns the actor's role when allowed, null when refused.
 */
export async function authorize(
  models: Pick<Models, 'User' | 'AuditEntry'>,
  actor: string,
  needed: Role,
  action: string,
  target?: string,
): Promise<Role | null> {
  const role = await roleOf(models, actor);
  if (hasRole(role, needed)) return role;
  await audit(models, { actor, action, target, outcome: 'refused', reason: `needs ${needed}, has ${role}` });
  return null;
}

export async function setRole(models: Pick<Models, 'User' | 'AuditEntry'>, actor: string, slackUserId: string, role: Role): Promise<void> {
  await models.User.updateOne({ slackUserId }, { $set: { role, addedBy: actor } }, { upsert: true });
  await audit(models, { actor, action: 'role.set', target: slackUserId, details: { role } });
}
