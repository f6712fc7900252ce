/**
 * Contract checks against openapi.yaml: every response a test sees can be validated against the
 * documented status codes, media types, required headers and JSON Schemas (Ajv, draft 2020-12,
 * strict mode with union types allowed, full ajv-formats).
 *
 * Requests that match no documented method + path are checked against the document's root
 * `x-unmatched-routes` extension: a list of `{prefix, responses}` rules (the prefix is a path
 * template; it matches itself and everything below it, `/` matches everything). The responses of
 * every matching rule apply, a longer prefix overriding a shorter one per status. Today that is
 * `404 route_not_found` everywhere, plus 401 / `404 tenant_not_found` under
 * `/v1/tenants/{tenant_id}` where the bearer token is checked before routing.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { parse } from 'yaml';

type AjvInstance = InstanceType<typeof Ajv2020>;
type ValidateFn = ReturnType<AjvInstance['compile']>;
type FormatsPlugin = (ajv: AjvInstance) => AjvInstance;
// ajv-formats is CommonJS: under nodenext its default import is `module.exports` (the plugin,
// which also carries `.default`); the declared type is the namespace.
const addFormats = ((addFormatsImport as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsImport as unknown as FormatsPlugin)) as FormatsPlugin;

export const OPENAPI_SPEC_PATH = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

const SCHEMAS_ID = 'urn:ledgerport:openapi-schemas';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface SpecCheckedResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

type Obj = Record<string, any>;

interface Operation {
  readonly method: string;
  readonly template: string;
  readonly responses: Obj;
}

interface PathEntry {
  readonly template: string;
  readonly regex: RegExp;
  readonly params: number;
  readonly item: Obj;
}

interface UnmatchedRule {
  readonly prefix: string;
  readonly regex: RegExp;
  readonly responses: Obj;
}

interface LoadedSpec {
  readonly spec: Obj;
  readonly ajv: AjvInstance;
  readonly paths: PathEntry[];
  readonly unmatched: UnmatchedRule[];
}

let loaded: LoadedSpec | undefined;

/** The parsed openapi.yaml (loaded once per process). */
export function loadSpec(): Obj {
  return load().spec;
}

function load(): LoadedSpec {
  if (loaded) return loaded;
  const spec = parse(readFileSync(OPENAPI_SPEC_PATH, 'utf8')) as Obj;
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  // OpenAPI's own schema keywords are annotations here.
  ajv.addVocabulary(['discriminator', 'example', 'xml', 'externalDocs']);
  ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(spec.components?.schemas ?? {}) });

  const paths = Object.entries((spec.paths ?? {}) as Obj).map(([template, item]) => ({
    template,
    regex: templateRegex(template, 'exact'),
    params: (template.match(/\{[^}]+\}/g) ?? []).length,
    item: resolve(spec, item),
  }));
  const rules = ((spec['x-unmatched-routes']?.rules ?? []) as Obj[]).map((rule) => ({
    prefix: String(rule.prefix),
    regex: templateRegex(String(rule.prefix), 'prefix'),
    responses: rule.responses as Obj,
  }));
  rules.sort((a, b) => a.prefix.length - b.prefix.length);
  loaded = { spec, ajv, paths, unmatched: rules };
  return loaded;
}

/** `{name}` segments match one non-empty path segment. */
function templateRegex(template: string, mode: 'exact' | 'prefix'): RegExp {
  const parts = template.split(/(\{[^}]+\})/).map((part) =>
    /^\{[^}]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
  );
  const body = parts.join('');
  if (mode === 'exact') return new RegExp(`^${body}$`);
  return body.endsWith('/') ? new RegExp(`^${body}`) : new RegExp(`^${body}(?:/.*)?$`);
}

/** Follows local `$ref`s between OpenAPI objects (responses, parameters, headers...). */
function resolve(spec: Obj, value: any): any {
  let current = value;
  for (let hops = 0; current && typeof current === 'object' && typeof current.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`openapi.yaml: $ref cycle at ${value.$ref}`);
    current = pointer(spec, current.$ref);
  }
  return current;
}

function pointer(spec: Obj, ref: string): any {
  if (!ref.startsWith('#/')) throw new Error(`openapi.yaml: only local $refs are supported, got ${ref}`);
  let node: any = spec;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) throw new Error(`openapi.yaml: unresolvable $ref ${ref}`);
    node = node[key];
  }
  return node;
}

/** Points `#/components/schemas/X` at the `$defs` of the schema registered with Ajv. */
function rewriteRefs(value: any): any {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Obj = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')) {
      out[key] = `${SCHEMAS_ID}#/$defs/${child.slice('#/components/schemas/'.length)}`;
    } else if (key === '$ref' && typeof child === 'string' && child.startsWith('#')) {
      throw new Error(`openapi.yaml: schema $ref ${child} must point under #/components/schemas/`);
    } else {
      out[key] = rewriteRefs(child);
    }
  }
  return out;
}

function mediaTypeOf(contentType: string | null): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
}

function isJsonMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && (mediaType === 'application/json' || mediaType.endsWith('+json'));
}

function preview(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text === undefined ? String(body) : text.length > 2000 ? `${text.slice(0, 2000)}...` : text;
}

export interface SpecValidator {
  /**
   * Throws a descriptive Error unless `status` is documented for `method path` (falling back to
   * `NXX`, then `default`), the media type is documented and `body` matches its schema. `path` is
   * concrete and may carry a query string. Pass `headers` to also check documented required
   * response headers.
   */
  check(method: string, path: string, status: number, contentType: string | null, body: unknown, headers?: Headers): void;
}

export function createSpecValidator(): SpecValidator {
  const { spec, ajv, paths, unmatched } = load();
  const compiled = new Map<string, ValidateFn>();

  const validatorFor = (key: string, schema: Obj): ValidateFn => {
    let fn = compiled.get(key);
    if (!fn) {
      try {
        fn = ajv.compile(rewriteRefs(schema));
      } catch (error) {
        throw new Error(`openapi.yaml: the schema for ${key} does not compile: ${(error as Error).message}`);
      }
      compiled.set(key, fn);
    }
    return fn;
  };

  const findOperation = (method: string, pathname: string): Operation | undefined => {
    const lower = method.toLowerCase();
    const candidates = paths.filter((p) => p.regex.test(pathname)).sort((a, b) => a.params - b.params);
    for (const p of candidates) {
      const op = p.item[lower] ?? (lower === 'head' ? p.item.get : undefined);
      if (op) return { method: lower, template: p.template, responses: (op.responses ?? {}) as Obj };
    }
    return undefined;
  };

  const unmatchedResponses = (pathname: string): { responses: Obj; label: string } => {
    const responses: Obj = {};
    const labels: string[] = [];
    for (const rule of unmatched) {
      if (!rule.regex.test(pathname)) continue;
      Object.assign(responses, rule.responses);
      labels.push(rule.prefix);
    }
    return { responses, label: `x-unmatched-routes [${labels.join(', ')}]` };
  };

  const checkAgainst = (
    where: string,
    responses: Obj,
    status: number,
    contentType: string | null,
    body: unknown,
    headers: Headers | undefined,
    isHead: boolean,
  ) => {
    const statusKey = [String(status), `${String(status).charAt(0)}XX`, 'default'].find((k) => k in responses);
    if (!statusKey) {
      throw new Error(
        `${where}: status ${status} is not documented (documented: ${Object.keys(responses).join(', ') || 'none'}); body: ${preview(body)}`,
      );
    }
    const response = resolve(spec, responses[statusKey]) as Obj;

    if (headers) {
      for (const [name, rawHeader] of Object.entries((response.headers ?? {}) as Obj)) {
        if (name.toLowerCase() === 'content-type') continue; // ignored by OpenAPI
        const header = resolve(spec, rawHeader) as Obj;
        const value = headers.get(name);
        if (value === null) {
          if (header.required) throw new Error(`${where} ${status}: required response header ${name} is missing`);
          continue;
        }
        if (header.schema) {
          const validate = validatorFor(`${where} ${statusKey} header ${name}`, header.schema as Obj);
          if (!validate(value)) {
            throw new Error(`${where} ${status}: header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(validate.errors)}`);
          }
        }
      }
    }

    const content = response.content as Obj | undefined;
    if (!content || Object.keys(content).length === 0) {
      const empty = body === undefined || body === null || body === '';
      if (!empty) throw new Error(`${where} ${status}: documented without a body, got: ${preview(body)}`);
      return;
    }
    if (isHead) return; // HEAD: the GET response's headers without its body
    const mediaType = mediaTypeOf(contentType);
    if (!mediaType) throw new Error(`${where} ${status}: the response has no content-type (documented: ${Object.keys(content).join(', ')})`);
    const mediaKey =
      Object.keys(content).find((k) => k.toLowerCase() === mediaType) ??
      Object.keys(content).find((k) => k.toLowerCase() === `${mediaType.split('/')[0]}/*`) ??
      Object.keys(content).find((k) => k === '*/*');
    if (!mediaKey) {
      throw new Error(`${where} ${status}: content-type ${contentType} is not documented (documented: ${Object.keys(content).join(', ')})`);
    }
    const schema = (content[mediaKey] as Obj | undefined)?.schema as Obj | undefined;
    if (!schema) return;
    const validate = validatorFor(`${where} ${statusKey} ${mediaKey}`, schema);
    if (!validate(body)) {
      const errors = (validate.errors ?? [])
        .slice(0, 20)
        .map((e) => `  ${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)} [${e.schemaPath}]`)
        .join('\n');
      throw new Error(`${where} ${status} (${mediaKey}): the body does not match openapi.yaml:\n${errors}\nbody: ${preview(body)}`);
    }
  };

  // Compile every documented response schema now, so a broken spec fails loudly and at once.
  for (const p of paths) {
    for (const method of METHODS) {
      const op = p.item[method] as Obj | undefined;
      if (!op) continue;
      for (const [statusKey, raw] of Object.entries((op.responses ?? {}) as Obj)) {
        const response = resolve(spec, raw) as Obj;
        for (const [mediaKey, media] of Object.entries((response.content ?? {}) as Obj)) {
          const schema = (media as Obj).schema as Obj | undefined;
          if (schema) validatorFor(`${method.toUpperCase()} ${p.template} ${statusKey} ${mediaKey}`, schema);
        }
      }
    }
  }

  return {
    check(method, path, status, contentType, body, headers) {
      const pathname = path.split(/[?#]/)[0] ?? path;
      const op = findOperation(method, pathname);
      const isHead = method.toLowerCase() === 'head';
      if (op) {
        checkAgainst(`${method.toUpperCase()} ${op.template} (${path})`, op.responses, status, contentType, body, headers, isHead);
        return;
      }
      const { responses, label } = unmatchedResponses(pathname);
      if (Object.keys(responses).length === 0) {
        throw new Error(`${method.toUpperCase()} ${path} is not in openapi.yaml and no x-unmatched-routes rule covers it (status ${status})`);
      }
      checkAgainst(`${method.toUpperCase()} ${path} (not in paths; ${label})`, responses, status, contentType, body, headers, isHead);
    },
  };
}

/** Reads the body (JSON for JSON media types, else text), checks it against the spec and returns it. */
export async function checkedResponse(
  validator: SpecValidator,
  method: string,
  path: string,
  res: Response,
): Promise<SpecCheckedResponse> {
  const text = await res.text();
  const contentType = res.headers.get('content-type');
  let body: any = text;
  if (isJsonMediaType(mediaTypeOf(contentType)) && text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${method.toUpperCase()} ${path} ${res.status}: content-type ${contentType} but the body is not JSON: ${preview(text)}`);
    }
  }
  validator.check(method, path, res.status, contentType, body, res.headers);
  return { status: res.status, headers: res.headers, body, text };
}

/** Validates openapi.yaml itself against the OpenAPI 3.1 schema; throws listing the problems. */
export async function assertSpecIsValid(): Promise<void> {
  const result = await new Validator().validate(OPENAPI_SPEC_PATH);
  if (!result.valid) {
    const errors = typeof result.errors === 'string' ? result.errors : JSON.stringify(result.errors, null, 2);
    throw new Error(`openapi.yaml is not a valid OpenAPI document:\n${errors}`);
  }
  // Every response schema must also compile under the strict Ajv used by the contract checks.
  createSpecValidator();
}
