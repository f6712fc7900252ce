/**
 * Generates client/src/schema.ts from the repository's openapi.yaml with openapi-typescript.
 *
 *   node client/scripts/generate.ts           write client/src/schema.ts (npm run client:generate)
 *   node client/scripts/generate.ts --check   regenerate into a temporary file and exit 1, with a
 *                                             summary of the difference, when the committed file
 *                                             differs from it (npm run client:check; CI runs it)
 *
 * The generator lives in client/node_modules, installed from client/package-lock.json (`npm ci`)
 * on first use or when the lock file names other versions: openapi-typescript 7 drives the
 * TypeScript 5 compiler API, which the TypeScript 7 the repository typechecks with no longer
 * has, so it cannot share the root's node_modules.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const clientDir = dirname(dirname(fileURLToPath(import.meta.url)));
const repoRoot = dirname(clientDir);
const specPath = join(repoRoot, 'openapi.yaml');
const outputPath = join(clientDir, 'src', 'schema.ts');
const cliPath = join(clientDir, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
const shown = (path: string) => relative(process.cwd(), path) || '.';

const check = process.argv.includes('--check');
const unknown = process.argv.slice(2).filter((arg) => arg !== '--check');
if (unknown.length > 0) fail(`unknown argument(s): ${unknown.join(' ')} (only --check)`, 2);

ensureGenerator();
const fresh = generate();

if (!check) {
  const before = existsSync(outputPath) ? readFileSync(outputPath, 'utf8') : undefined;
  if (before === fresh) {
    console.log(`${shown(outputPath)} is up to date with ${shown(specPath)}`);
  } else {
    writeFileSync(outputPath, fresh);
    console.log(`wrote ${shown(outputPath)} from ${shown(specPath)}${before === undefined ? '' : `: ${summarise(before, fresh).headline}`}`);
  }
} else {
  if (!existsSync(outputPath)) {
    fail(`${shown(outputPath)} is missing: run \`npm run client:generate\` and commit it.`);
  }
  const committed = readFileSync(outputPath, 'utf8');
  if (committed === fresh) {
    console.log(`client:check: ${shown(outputPath)} matches ${shown(specPath)}`);
  } else {
    const summary = summarise(committed, fresh);
    console.error(
      [
        `client:check FAILED: ${shown(outputPath)} does not match what ${shown(specPath)} generates.`,
        'openapi.yaml changed without regenerating the client types. Run `npm run client:generate` and commit client/src/schema.ts.',
        '',
        `difference (committed → generated): ${summary.headline}`,
        ...summary.details.map((line) => `  ${line}`),
        '',
        'first differing lines:',
        ...summary.excerpt,
      ].join('\n'),
    );
    process.exit(1);
  }
}

function fail(message: string, code = 1): never {
  console.error(`client:${check ? 'check' : 'generate'}: ${message}`);
  process.exit(code);
}

/** Installs client/node_modules from client/package-lock.json unless it already holds those versions. */
function ensureGenerator(): void {
  const lockPath = join(clientDir, 'package-lock.json');
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { packages: Record<string, { version?: string }> };
  const wanted = ['openapi-typescript', 'typescript', 'openapi-fetch'];
  const stale = wanted.filter((name) => {
    const manifest = join(clientDir, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) return true;
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    return version !== lock.packages[`node_modules/${name}`]?.version;
  });
  if (stale.length === 0) return;
  console.error(`installing the client generator into ${shown(join(clientDir, 'node_modules'))} (npm ci; ${stale.join(', ')})`);
  // Under `npm run`, npm_execpath is the running npm's CLI script; otherwise use npm from PATH.
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli && basename(npmCli) === 'npm-cli.js' ? [process.execPath, [npmCli]] : ['npm', []];
  const result = spawnSync(command, [...args, 'ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: clientDir,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) fail(`npm ci in ${shown(clientDir)} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

/** Runs openapi-typescript into a temporary file and returns what it wrote. */
function generate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerport-client-'));
  const target = join(dir, 'schema.ts');
  let output: string | undefined;
  let problem = '';
  try {
    const result = spawnSync(process.execPath, [cliPath, specPath, '--output', target], { cwd: repoRoot, encoding: 'utf8' });
    if (result.status === 0 && existsSync(target)) output = readFileSync(target, 'utf8');
    else {
      // openapi-typescript throws with the whole document attached: its first lines say what and where.
      const lines = (result.stderr || result.stdout || result.error?.message || `exit ${result.status}`).trim().split('\n');
      problem = [...lines.slice(0, 12), ...(lines.length > 12 ? [`… (${lines.length - 12} more lines)`] : [])].join('\n');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (output === undefined) fail(`openapi-typescript failed on ${shown(specPath)}:\n${problem}`);
  return output;
}

interface Summary {
  headline: string;
  details: string[];
  excerpt: string[];
}

/** What changed between two generated files: line counts, and which paths, operations and schemas. */
function summarise(before: string, after: string): Summary {
  const a = before.split('\n');
  const b = after.split('\n');
  const counts = new Map<string, number>();
  for (const line of a) counts.set(line, (counts.get(line) ?? 0) + 1);
  let added = 0;
  for (const line of b) {
    const n = counts.get(line) ?? 0;
    if (n > 0) counts.set(line, n - 1);
    else added++;
  }
  const removed = [...counts.values()].reduce((sum, n) => sum + n, 0);

  const details: string[] = [];
  for (const [label, open, indent] of [
    ['paths', 'export interface paths {', 4],
    ['schemas', '    schemas: {', 8],
    ['operations', 'export interface operations {', 4],
  ] as const) {
    const was = members(a, open, indent);
    const now = members(b, open, indent);
    const gone = [...was.keys()].filter((key) => !now.has(key));
    const fresh = [...now.keys()].filter((key) => !was.has(key));
    const changed = [...now.keys()].filter((key) => was.has(key) && was.get(key) !== now.get(key));
    if (fresh.length) details.push(`${label} added: ${list(fresh)}`);
    if (gone.length) details.push(`${label} removed: ${list(gone)}`);
    if (changed.length) details.push(`${label} changed: ${list(changed)}`);
  }
  if (details.length === 0) details.push('no path, operation or schema added, removed or changed (comments or layout only)');

  return { headline: `+${added} −${removed} lines`, details, excerpt: excerpt(a, b) };
}

/**
 * The first hunks of a line diff (Myers' O(ND) algorithm), with one line of context; two
 * generated files differ in few lines, so D stays small. Past MAX_EDITS, only where they diverge.
 */
function excerpt(a: string[], b: string[], maxLines = 40): string[] {
  const MAX_EDITS = 4000;
  const n = a.length;
  const m = b.length;
  const offset = MAX_EDITS + 1;
  const v = new Int32Array(2 * MAX_EDITS + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= MAX_EDITS && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0)) ? (v[offset + k + 1] ?? 0) : (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  if (!found) {
    let i = 0;
    while (i < n && i < m && a[i] === b[i]) i++;
    return [`@@ line ${i + 1} @@ (too many differences for a line diff)`, `- ${a[i] ?? ''}`, `+ ${b[i] ?? ''}`];
  }
  // Walk the trace back into the edit script, then print its first hunks.
  const ops: { kind: ' ' | '-' | '+'; line: string; lineNo: number }[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const tv = trace[d] as Int32Array;
    const k = x - y;
    const prevK = k === -d || (k !== d && (tv[offset + k - 1] ?? 0) < (tv[offset + k + 1] ?? 0)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : (tv[offset + prevK] ?? 0);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: ' ', line: a[x] ?? '', lineNo: y + 1 });
    }
    if (d === 0) break;
    if (x === prevX) {
      y--;
      ops.push({ kind: '+', line: b[y] ?? '', lineNo: y + 1 });
    } else {
      x--;
      ops.push({ kind: '-', line: a[x] ?? '', lineNo: y + 1 });
    }
  }
  ops.reverse();

  const changed = ops.flatMap((op, i) => (op.kind === ' ' ? [] : [i]));
  const out: string[] = [];
  let printed = 0;
  let last = -1;
  for (const i of changed) {
    if (out.length >= maxLines) break;
    if (i <= last) continue;
    const from = Math.max(i - 1, last + 1);
    if (from > last + 1 || last < 0) out.push(`@@ generated line ${ops[from]?.lineNo ?? 1} @@`);
    let j = from;
    // The hunk runs on while changes are at most two unchanged lines apart, with one line of context.
    while (j < ops.length && out.length < maxLines) {
      const op = ops[j] as (typeof ops)[number];
      if (op.kind === ' ' && j > i && ![1, 2].some((ahead) => ops[j + ahead] && ops[j + ahead]?.kind !== ' ') && ops[j - 1]?.kind === ' ') break;
      out.push(`${op.kind} ${op.line}`);
      if (op.kind !== ' ') printed++;
      j++;
    }
    last = j - 1;
  }
  if (printed < changed.length) out.push(`… and ${changed.length - printed} more changed lines`);
  return out;
}

/** The members of one generated block (`"/path": {…}` or `Name: {…}`), keyed by name, with their text. */
function members(lines: string[], open: string, indent: number): Map<string, string> {
  const result = new Map<string, string>();
  const begin = lines.indexOf(open);
  if (begin < 0) return result;
  const pad = ' '.repeat(indent);
  const key = new RegExp(`^${pad}("[^"]+"|[A-Za-z0-9_$]+)\\??: `);
  const close = ' '.repeat(indent - 4) + '}';
  let name: string | undefined;
  let body: string[] = [];
  let comment: string[] = [];
  for (let i = begin + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === close || line === `${close};`) break;
    const rest = line.startsWith(pad) ? line.slice(indent) : '';
    const match = key.exec(line);
    if (rest.startsWith('/**') || rest.startsWith(' *')) {
      // A member's doc comment comes before it: it belongs to the next member.
      comment.push(line);
    } else if (match?.[1]) {
      if (name) result.set(name, body.join('\n'));
      name = match[1].replace(/^"|"$/g, '');
      body = [...comment, line];
      comment = [];
    } else {
      body.push(line);
    }
  }
  if (name) result.set(name, body.join('\n'));
  return result;
}

function list(names: string[]): string {
  return names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', ');
}
