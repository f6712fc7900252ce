import pg from 'pg';

/** A pg.Pool for a test to use directly, whose connections' errors are kept for the test to check. */
export interface TestPool {
  readonly pool: pg.Pool;
  /** Every error a connection of the pool reported, idle or checked out; a passing test has none. */
  errors(): Error[];
  /** Ends the pool and resolves only once every one of its sockets has closed. */
  close(): Promise<void>;
}

export function openTestPool(connectionString: string, options: Omit<pg.PoolConfig, 'connectionString'> = {}): TestPool {
  const pool = new pg.Pool({ ...options, connectionString });
  // pg emits an idle connection's error on the pool, and a checked-out one's on its client (graphile-
  // worker's runMigrations only lends listeners while it runs): with none, the error is thrown as
  // an uncaught exception that vitest pins on whatever test runs at that moment. Kept, not dropped:
  // the same error reaches pool 'error' and the client's listener, hence a set.
  const errors = new Set<Error>();
  const socketsClosed: Promise<void>[] = [];
  pool.on('error', (error) => errors.add(error));
  pool.on('connect', (client) => {
    client.on('error', (error) => errors.add(error));
    socketsClosed.push(new Promise((resolve) => client.once('end', () => resolve())));
  });
  return {
    pool,
    errors: () => [...errors],
    async close() {
      // pool.end() resolves as soon as it has asked its connections to close, before their sockets
      // do. A `drop database … with (force)` in that gap terminates a backend that has not yet read
      // the goodbye, and it answers FATAL 57P01 on a connection the test has let go of.
      await pool.end();
      await Promise.all(socketsClosed);
    },
  };
}
