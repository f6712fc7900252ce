/**
 * The operations of openapi.yaml, as the hostile-input suite needs them: method, path template,
 * parameters, request body schema and how the caller authenticates. Everything is read from the
 * document, so a route added there is covered without touching the suite.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { loadSpec } from '../openapi.ts';

export type Obj = Record<string, any>;
type AjvInstance = InstanceType<typeof Ajv2020>;
type FormatsPlugin = (ajv: AjvInstance) => AjvInstance;
// ajv-formats is CommonJS: see test/helpers/openapi.ts.
const addFormats = ((addFormatsImport as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsImport as unknown as FormatsPlugin)) as FormatsPlugin;

/** How a route authenticates its caller, from its security requirement or its documented headers. */
export type AuthScheme = 'bearer' | 'ops' | 'xero' | 'quickbooks' | 'none';

export interface SpecParam {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly schema: Obj;
}

export interface SpecOperation {
  /** `METHOD /template`, e.g. `GET /v1/tenants/{tenant_id}/documents`. */
  readonly key: string;
  readonly method: string;
  readonly template: string;
  readonly params: readonly SpecParam[];
  readonly pathParams: readonly string[];
  readonly body: { readonly schema: Obj; readonly required: boolean; readonly mediaTypes: readonly string[] } | undefined;
  readonly auth: AuthScheme;
  /** Under /v1/tenants/{tenant_id}: the tenant-isolation matrix calls it. */
  readonly tenantScoped: boolean;
  /** Documented response status keys. */
  readonly statuses: readonly string[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
/** The console's HTML pages are documented by x-unmatched-routes, not paths; skipped if ever listed. */
const SKIPPED_PREFIXES = ['/console'];

function resolve(spec: Obj, value: any): any {
  let current = value;
  for (let hops = 0; current && typeof current === 'object' && typeof current.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`$ref cycle at ${value.$ref}`);
    current = (current.$ref as string)
      .slice(2)
      .split('/')
      .reduce((node: any, raw: string) => node?.[decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return current;
}

let cached: SpecOperation[] | undefined;

export function specOperations(): SpecOperation[] {
  if (cached) return cached;
  const spec = loadSpec();
  const ops: SpecOperation[] = [];
  for (const [template, rawItem] of Object.entries((spec.paths ?? {}) as Obj)) {
    if (SKIPPED_PREFIXES.some((p) => template === p || template.startsWith(`${p}/`))) continue;
    const item = resolve(spec, rawItem) as Obj;
    for (const method of METHODS) {
      const op = item[method] as Obj | undefined;
      if (!op) continue;
      const byName = new Map<string, SpecParam>();
      for (const raw of [...((item.parameters ?? []) as Obj[]), ...((op.parameters ?? []) as Obj[])]) {
        const p = resolve(spec, raw) as Obj;
        byName.set(`${p.in}:${p.name}`, { name: String(p.name), in: p.in, required: Boolean(p.required), schema: (p.schema ?? {}) as Obj });
      }
      const pathParams = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      for (const name of pathParams) {
        if (!byName.has(`path:${name}`)) byName.set(`path:${name}`, { name, in: 'path', required: true, schema: { type: 'string', minLength: 1 } });
      }
      const params = [...byName.values()];
      const requestBody = op.requestBody ? (resolve(spec, op.requestBody) as Obj) : undefined;
      const content = (requestBody?.content ?? {}) as Obj;
      const mediaTypes = Object.keys(content);
      const jsonType = mediaTypes.find((m) => m === 'application/json' || m.endsWith('+json'));
      const body = jsonType
        ? { schema: (content[jsonType].schema ?? {}) as Obj, required: Boolean(requestBody?.required), mediaTypes }
        : undefined;
      const security = (op.security ?? spec.security ?? []) as Obj[];
      const headerNames = new Set(params.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()));
      const auth: AuthScheme = security.some((s) => 'bearerAuth' in s)
        ? 'bearer'
        : headerNames.has('webhook-signature')
          ? 'ops'
          : headerNames.has('x-xero-signature')
            ? 'xero'
            : headerNames.has('intuit-signature')
              ? 'quickbooks'
              : 'none';
      ops.push({
        key: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        params,
        pathParams,
        body,
        auth,
        tenantScoped: template.startsWith('/v1/tenants/{tenant_id}'),
        statuses: Object.keys((op.responses ?? {}) as Obj),
      });
    }
  }
  cached = ops;
  return ops;
}

/** `#/components/schemas/X` → the same schema registered under `$defs` of one Ajv schema. */
const SCHEMAS_ID = 'urn:ledgerport:hostile-schemas';
function rewriteRefs(value: any): any {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Obj = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')
      ? `${SCHEMAS_ID}#/$defs/${child.slice('#/components/schemas/'.length)}`
      : rewriteRefs(child);
  }
  return out;
}

let ajv: AjvInstance | undefined;
const validators = new Map<string, (value: unknown) => boolean>();

/**
 * Whether `value` is valid for `schema` per openapi.yaml (Ajv, draft 2020-12, full formats).
 * The oracle of the suite: input openapi.yaml calls invalid must be refused.
 */
export function conformsTo(cacheKey: string, schema: Obj, value: unknown): boolean {
  let validate = validators.get(cacheKey);
  if (!validate) {
    if (!ajv) {
      ajv = new Ajv2020({ strict: false, allowUnionTypes: true, allErrors: false, validateFormats: true });
      addFormats(ajv);
      ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(loadSpec().components?.schemas ?? {}) });
    }
    const compiled = ajv.compile(rewriteRefs(schema));
    validate = (v: unknown) => compiled(v) as boolean;
    validators.set(cacheKey, validate);
  }
  return validate(value);
}

/** A schema with its local `$ref`s followed (one level). */
export function deref(schema: Obj | undefined): Obj {
  return (resolve(loadSpec(), schema ?? {}) ?? {}) as Obj;
}

/** Whether a query-string value is valid for a parameter schema (integers arrive as text). */
export function queryValueConforms(param: SpecParam, value: string): boolean {
  const schema = deref(param.schema);
  if (schema.type === 'integer' || schema.type === 'number') {
    if (!/^-?\d+$/.test(value)) return false;
    return conformsTo(`query ${param.name} ${JSON.stringify(schema)}`, schema, Number(value));
  }
  if (schema.type === 'boolean') return value === 'true' || value === 'false';
  return conformsTo(`query ${param.name} ${JSON.stringify(schema)}`, schema, value);
}
