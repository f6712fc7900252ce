import { Hono } from 'hono';
import * as v from 'valibot';
import type { AppContext } from '../../context.ts';
import { unprocessable } from '../../errors.ts';
import { defaultsProblems } from '../../sync/check-defaults.ts';
import { PostingDefaultsInput } from '../../documents/posting-defaults.ts';
import { currentDefaults, saveDefaults, type VersionedDefaults } from '../../sync/defaults.ts';
import { requireTenant } from '../../sync/documents-repo.ts';
import type { AppEnv } from '../env.ts';
import { parseInput, readJson } from '../validate.ts';

/** valibot's object schemas accept arrays, and `[]` would pass as "every default built in": only a JSON object is defaults. */
const DefaultsInput = v.pipe(
  v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), 'must be a JSON object'),
  PostingDefaultsInput,
);

function defaultsBody(tenantId: string, d: VersionedDefaults) {
  return { tenant_id: tenantId, version: d.version, updated_at: d.updatedAt?.toISOString() ?? null, ...d.settings };
}

export function defaultsRoutes(ctx: AppContext) {
  return new Hono<AppEnv>()
    .get('/defaults', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      await requireTenant(ctx.db, tenantId);
      return c.json(defaultsBody(tenantId, await currentDefaults(ctx.db, tenantId)));
    })
    .put('/defaults', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const settings = parseInput(DefaultsInput, await readJson(c.req), 'posting defaults');
      const problems = await defaultsProblems(
        ctx.providerDeps,
        tenantId,
        settings,
      );
      if (problems.length > 0) {
        throw unprocessable('not_in_organisation', problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
      }
      const saved = await ctx.db.transaction().execute((tx) => saveDefaults(tx, tenantId, settings));
      ctx.logger.info({ tenantId, version: saved.version }, 'posting defaults saved');
      return c.json(defaultsBody(tenantId, saved));
    });
}
