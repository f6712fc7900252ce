import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Copies what the gateway runs from (src/, tasks/, sql/, openapi.yaml, package.json) into `dir`,
 * with node_modules linked, and returns `dir` to use as the processes' working directory. A run
 * that starts gateway processes again and again then runs the code it started with, while others
 * edit the working tree (a half-saved file would otherwise fail a restart midway).
 */
export function snapshotGatewaySource(dir: string, root = REPO_ROOT): string {
  mkdirSync(dir, { recursive: true });
  for (const entry of ['src', 'tasks', 'sql', 'openapi.yaml', 'package.json']) {
    const from = path.join(root, entry);
    if (existsSync(from)) cpSync(from, path.join(dir, entry), { recursive: true });
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}
