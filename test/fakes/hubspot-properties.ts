import type { Express, Request, Response } from 'express';

export interface HubSpotProperty {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  description?: string;
}

/**
 * The CRM properties API of the HubSpot fake: `GET /crm/v3/properties/:type[/:name]` and
 * `POST /crm/v3/properties/:type` (409 when it exists, 400 without name/label/type/fieldType/groupName).
 * Object types are stored by their plural API name (deals, contacts, companies).
 */
export class PropertyStore {
  readonly byType = new Map<string, Map<string, HubSpotProperty>>();

  of(type: string): Map<string, HubSpotProperty> {
    const key = type.endsWith('s') ? type : `${type}s`;
    let m = this.byType.get(key);
    if (!m) this.byType.set(key, (m = new Map()));
    return m;
  }

  clear(): void {
    this.byType.clear();
  }

  install(app: Express, error: (category: string, message: string) => unknown): void {
    app.get('/crm/v3/properties/:type', (req: Request, res: Response) => {
      res.json({ results: [...this.of(String(req.params.type)).values()] });
    });
    app.get('/crm/v3/properties/:type/:name', (req: Request, res: Response) => {
      const p = this.of(String(req.params.type)).get(String(req.params.name));
      if (!p) return void res.status(404).json(error('OBJECT_NOT_FOUND', `Unable to find property ${String(req.params.name)}`));
      res.json(p);
    });
    app.post('/crm/v3/properties/:type', (req: Request, res: Response) => {
      const b = (req.body ?? {}) as Partial<HubSpotProperty>;
      const missing = (['name', 'label', 'type', 'fieldType', 'groupName'] as const).filter((k) => typeof b[k] !== 'string' || b[k] === '');
      if (missing.length) return void res.status(400).json(error('VALIDATION_ERROR', `missing ${missing.join(', ')}`));
      const store = this.of(String(req.params.type));
      if (store.has(b.name as string)) return void res.status(409).json(error('CONFLICT', `A property named '${b.name}' already exists.`));
      const p = { name: b.name, label: b.label, type: b.type, fieldType: b.fieldType, groupName: b.groupName, ...(b.description ? { description: b.description } : {}) } as HubSpotProperty;
      store.set(p.name, p);
      res.status(201).json(p);
    });
  }
}
