import type { Logger } from 'pino';
import type { Database } from '../src/db/database.ts';

/** What tasks receive from the AppContext; passed explicitly, never imported. */
export interface TaskDeps {
  readonly db: Database;
  readonly logger: Logger;
}
