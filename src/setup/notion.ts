import { Client, LogLevel } from '@notionhq/client';

export interface NotionDatabaseCheck {
  key: string;
  id: string;
  ok: boolean;
  detail: string;
}

export interface NotionSetupResult {
  ok: boolean;
  problem?: string;
  databases: NotionDatabaseCheck[];
}

const code = (err: unknown) => (err as { code?: string }).code ?? (err as Error).message;

/**
 * NOTION_TOKEN is tried with one search; each configured database id is retrieved, which fails
 * when the database was not shared with the integration. Nothing is created in Notion.
 */
export async function checkNotion(opts: { token: string; baseUrl: string; databases: Record<string, string | undefined> }): Promise<NotionSetupResult> {
  const client = new Client({ auth: opts.token, baseUrl: opts.baseUrl, timeoutMs: 15_000, retry: false, logLevel: LogLevel.ERROR, logger: () => undefined });
  try {
    await client.search({ page_size: 1 });
  } catch (err) {
    const c = code(err);
    if (c === 'unauthorized' || (err as { status?: number }).status === 401) return { ok: false, problem: 'NOTION_TOKEN was refused by Notion (unauthorized): copy the secret of your internal integration (notion.so/my-integrations)', databases: [] };
    return { ok: false, problem: `Notion could not be reached at ${opts.baseUrl} (${c})`, databases: [] };
  }
  const databases: NotionDatabaseCheck[] = [];
  for (const [key, id] of Object.entries(opts.databases)) {
    if (!id) continue;
    try {
      await client.databases.retrieve({ database_id: id });
      databases.push({ key, id, ok: true, detail: 'shared with the integration' });
    } catch (err) {
      const c = code(err);
      databases.push({ key, id, ok: false, detail: c === 'object_not_found' ? `not found: share the database with the integration (⋯ > Connections), or fix ${key}` : c });
    }
  }
  return { ok: databases.every((d) => d.ok), databases };
}
