// Checks request bodies against Xero's published OpenAPI schemas (xero_accounting.yaml).
// The spec is ~1 MB, so it is loaded and compiled lazily, once per sandbox instance.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ContractViolation } from './types.ts';

// The official documents live in ../shared beside the repository (as in CI's clean clone).
export const DEFAULT_SPEC_PATH = fileURLToPath(new URL('../../../../shared/contracts/xero/xero_accounting.yaml', import.meta.url));

type Validate = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[] | null;
};

interface Route { method: string; re: RegExp; schemaName: string }

interface Compiled {
  routes: Route[];
  validator(schemaName: string): Validate;
}

export interface ContractChecker {
  readonly violations: ContractViolation[];
  /** Validate a write body; `apiPath` is relative to /api.xro/2.0 (e.g. "/Invoices"). */
  checkBody(method: string, apiPath: string, body: unknown, time: number): Promise<void>;
  record(v: ContractViolation): void;
  reset(): void;
}

type SchemaNode = { [k: string]: unknown };

/** Make object schemas reject unknown properties so misspelt/camelCase fields surface. */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) { node.forEach(closeObjects); return; }
  if (!node || typeof node !== 'object') return;
  const obj = node as SchemaNode;
  if (obj.properties && typeof obj.properties === 'object' && obj.additionalProperties === undefined) {
    obj.additionalProperties = false;
  }
  for (const v of Object.values(obj)) closeObjects(v);
}

async function compile(specPath: string): Promise<Compiled> {
  const [{ parse }, ajvMod, formatsMod] = await Promise.all([import('yaml'), import('ajv'), import('ajv-formats')]);
  const spec = parse(await readFile(specPath, 'utf8')) as {
    paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } }>>;
    components: { schemas: Record<string, unknown> };
  };
  const schemas = spec.components.schemas;
  closeObjects(schemas);
  // CJS packages: the default import is module.exports, whose `.default` is the class/plugin.
  const AjvClass = ajvMod.default.default;
  const ajv = new AjvClass({ strict: false, allErrors: true, validateFormats: true });
  formatsMod.default.default(ajv);
  for (const f of ['double', 'float', 'int32', 'int64', 'byte', 'binary', 'password']) ajv.addFormat(f, true);
  ajv.addSchema({ $id: 'xero-accounting.json', components: { schemas } });

  const routes: Route[] = [];
  for (const [template, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const content = op.requestBody?.content;
      const json = content?.['application/json'] ?? (content ? Object.values(content)[0] : undefined);
      const ref = json?.schema?.$ref;
      if (!ref?.startsWith('#/components/schemas/')) continue;
      const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
      routes.push({ method: method.toUpperCase(), re: new RegExp(`^${pattern}$`, 'i'), schemaName: ref.slice(21) });
    }
  }
  // Literal paths first, so /Invoices/{id} does not shadow /Invoices/History etc.
  routes.sort((a, b) => a.re.source.split('[^/]+').length - b.re.source.split('[^/]+').length);
  const cache = new Map<string, Validate>();
  return {
    routes,
    validator(name) {
      let v = cache.get(name);
      if (!v) {
        const got = ajv.getSchema(`xero-accounting.json#/components/schemas/${name}`);
        if (!got) throw new Error(`schema ${name} not found in spec`);
        v = got as unknown as Validate;
        cache.set(name, v);
      }
      return v;
    },
  };
}

export function createContractChecker(specPath = DEFAULT_SPEC_PATH): ContractChecker {
  let compiled: Promise<Compiled> | undefined;
  const violations: ContractViolation[] = [];
  return {
    violations,
    record: (v) => { violations.push(v); },
    reset: () => { violations.length = 0; },
    async checkBody(method, apiPath, body, time) {
      compiled ??= compile(specPath);
      const c = await compiled;
      const route = c.routes.find((r) => r.method === method && r.re.test(apiPath));
      if (!route) return;
      const validate = c.validator(route.schemaName);
      if (validate(body)) return;
      for (const e of validate.errors ?? []) {
        const extra = e.keyword === 'additionalProperties' ? ` '${String(e.params.additionalProperty)}'`
          : e.keyword === 'enum' ? ` ${JSON.stringify(e.params.allowedValues)}` : '';
        violations.push({
          method, path: apiPath, schema: route.schemaName,
          kind: e.keyword === 'additionalProperties' ? 'unknown-property' : 'schema',
          message: `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`,
          instancePath: e.instancePath, time,
        });
      }
    },
  };
}
