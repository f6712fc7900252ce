// /v3/company/{realmId}/... routes: entity read/write, query, cdc, batch, companyinfo.
import { Hono } from 'hono';
import type { Context } from 'hono';
import { INVALID_JSON } from './api-pipeline.ts';
import { runBatch, runCdc } from './cdc-batch.ts';
import type { ApiEnv, SandboxContext } from './context.ts';
import { entityByName, readEntity, writeEntity } from './entities.ts';
import { err, fault, QboError, responseTime } from './qbo-format.ts';
import { runQuery } from './query.ts';
import { companyInfo } from './store.ts';
import type { JsonObject } from './types.ts';

export function apiRoutes(ctx: SandboxContext): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  /** Run `fn`; a QboError becomes a 400 ValidationFault, anything else a success body with `time`. */
  const answer = (c: Context<ApiEnv>, fn: () => JsonObject): Response => {
    try {
      const body = c.get('body');
      if (body === INVALID_JSON) {
        throw new QboError('2010', 'Request has invalid or unsupported property',
          'Property Name:Unexpected character: the request body is not valid JSON specified is unsupported or invalid');
      }
      return c.json({ ...fn(), time: responseTime(ctx.clock.now()) }, 200);
    } catch (e) {
      if (!(e instanceof QboError)) throw e;
      return c.json(fault('ValidationFault', e.errors, ctx.clock.now()), 400);
    }
  };

  app.get('/query', (c) => answer(c, () => {
    const q = c.req.query('query');
    if (!q) throw err.required('query');
    return { QueryResponse: runQuery(c.get('company'), q) };
  }));
  app.post('/query', (c) => answer(c, () => {
    const body = c.get('body');
    const q = typeof body === 'string' ? body : c.req.query('query');
    if (!q) throw err.required('query');
    return { QueryResponse: runQuery(c.get('company'), q) };
  }));
  app.get('/cdc', (c) => answer(c, () => runCdc(c.get('company'), c.req.query('entities'), c.req.query('changedSince'), ctx.clock.now())));
  app.post('/batch', (c) => answer(c, () => runBatch(c.get('company'), c.get('body'), ctx.clock.now())));
  app.get('/companyinfo/:id', (c) => answer(c, () => {
    const s = c.get('company');
    if (c.req.param('id') !== s.company.realmId) throw err.notFound('CompanyInfo', c.req.param('id'));
    return { CompanyInfo: companyInfo(s) };
  }));
  app.get('/:entity/:id', (c) => answer(c, () => {
    const entity = entityByName(c.req.param('entity'));
    if (!entity) throw err.invalid('entity', `${c.req.param('entity')} is not supported by the sandbox`);
    return readEntity(c.get('company'), entity, c.req.param('id'));
  }));
  app.post('/:entity', (c) => answer(c, () => {
    const entity = entityByName(c.req.param('entity'));
    if (!entity) throw err.invalid('entity', `${c.req.param('entity')} is not supported by the sandbox`);
    return writeEntity(c.get('company'), entity, c.get('body'), c.req.query('operation'), ctx.clock.now(), c.req.query('include'));
  }));
  return app;
}
