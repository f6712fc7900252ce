import type { Principal } from '../security/jwt-auth.ts';

/** Hono's typed context variables for every route. */
export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
  };
}
