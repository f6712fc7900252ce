import pg from 'pg';

/**
 * Waits (up to `timeoutMs`) until no session other than ours is connected to `database`.
 * Pools resolve end() before their sockets close; dropping the database `with (force)` at that
 * moment would terminate those sessions mid-goodbye and make the stopped gateway log errors.
 */
export async function waitForSessionsToLeave(adminUrl: string, database: string, timeoutMs = 5_000): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'ledgerport-demo' });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ n: string }>(
        'select count(*) as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [database],
      );
      if (Number(rows[0]?.n ?? 0) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end();
  }
}
