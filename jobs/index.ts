import type { AppContext } from '../src/context.ts';

/** Defines every Agenda job on ctx.agenda; each job module adds its define/every calls here. */
export async function registerJobs(_ctx: AppContext): Promise<void> {}
