import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as nodeTls from 'node:tls';
import { Client } from 'pg';
import { FakeEcs } from './fake-ecs';
import { FakeSecretsManager, RotationInvoker, RotationResult } from './fake-secrets-manager';
import { OutputCapture, leakedSecretIndices, secretForms } from './output-capture';
import { connect, PostgresAccess, PostgresServer, workerPostgres } from './postgres-server';
import { makeTestCertificates } from './test-tls';
import { TcpProxy } from './tcp-proxy';
import { useLocalAws } from './aws-env';
import { REFUSAL_TAG_KEYS } from '../../catalog/tags';

/** node:tls with Node 24's default-CA functions (newer than the project's @types/node). */
const tls = nodeTls as typeof nodeTls & {
  getCACertificates(type: 'default'): string[];
  setDefaultCACertificates(certs: string[]): void;
};

/**
 * This test file's own names on the worker's shared PostgreSQL (jest evaluates this module once per test file):
 * every database and role a file creates has FILE_ID in its name, and RotationHarness.stop() drops them all.
 */
export const FILE_ID = randomBytes(4).toString('hex');
export const DATABASE = `fleapo_${FILE_ID}`;
export const BASE_ROLE = `app_${FILE_ID}`;
/** A role name of this file's own (dropped with the file's other roles): `<name>_<FILE_ID>`. */
export const fileRole = (name: string): string => `${name}_${FILE_ID}`;

/**
 * Everything a rotation test needs: Secrets Manager + ECS doubles, a real PostgreSQL (the worker's, shared with the
 * worker's other test files: this file has its own database and roles, see FILE_ID) behind a TCP proxy (to make it
 * unreachable), the env-var contract set, and output capture for the no-secret-in-logs assertion.
 */
export class RotationHarness {
  readonly sm = new FakeSecretsManager();
  readonly ecs = new FakeEcs();
  pg!: PostgresAccess;
  proxy!: TcpProxy;
  readonly capture = new OutputCapture();
  /** Every secret value the tests created outside the double (checked against all output). */
  readonly extraSecrets: string[] = [];
  masterSecretArn = '';
  private readonly clients: Client[] = [];

  /** With `tls`: the file's own PostgreSQL that takes TLS connections only (see startTlsPostgres). */
  private tlsServer?: PostgresServer;
  private savedCaCertificates?: string[];
  private savedExtraCaCerts?: string;

  /**
   * `withPostgres`: a real PostgreSQL (the worker's, plain text, unless `tls`). `tls`: a PostgreSQL of this file's own
   * that refuses any login without TLS, with a certificate of a CA made for the test, and the functions configured as
   * on AWS: DB_SSL=require, the CA trusted the way NODE_EXTRA_CA_CERTS makes Lambda trust the RDS CAs.
   */
  constructor(
    private readonly withPostgres = true,
    private readonly options: { tls?: boolean } = {},
  ) {}

  async start(): Promise<void> {
    this.capture.start();
    await Promise.all([
      this.sm.start(),
      this.ecs.start(),
      !this.withPostgres ? Promise.resolve() : this.options.tls ? this.startTlsPostgres() : workerPostgres().then((pg) => (this.pg = pg)),
    ]);
    useLocalAws({ secretsManager: this.sm.endpoint, ecs: this.ecs.endpoint });
    Object.assign(process.env, {
      ECS_CLUSTER: this.ecs.clusterArn,
      ECS_SERVICE: this.ecs.serviceArn,
      DB_SSL: this.options.tls ? 'require' : 'disable',
      DB_CONNECT_TIMEOUT_MS: '2000',
      FLEAPO_ENVIRONMENT: 'test',
    });
    if (this.withPostgres) {
      this.proxy = new TcpProxy(this.pg.port);
      await this.proxy.start();
      this.extraSecrets.push(this.pg.masterPassword);
      this.masterSecretArn = this.sm.createSecret(
        'fleapo/test/rds-master',
        JSON.stringify({ username: this.pg.masterUser, password: this.pg.masterPassword, engine: 'postgres' }),
      );
      process.env.MASTER_SECRET_ARN = this.masterSecretArn;
      // The configured database (what the stack sets from `database`): the proxy in front of the real PostgreSQL.
      Object.assign(process.env, { DB_HOST: '127.0.0.1', DB_PORT: String(this.proxy.port), DB_NAME: DATABASE, DB_APP_USER: BASE_ROLE });
      const master = await this.pg.master();
      await master.query(`CREATE DATABASE ${DATABASE}`);
      await master.end();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.end().catch(() => undefined)));
    await this.proxy?.stop();
    try {
      await Promise.all([this.sm.stop(), this.ecs.stop(), this.withPostgres && this.pg ? this.dropFileObjects() : Promise.resolve()]);
    } finally {
      await this.tlsServer?.stop();
      if (this.savedCaCertificates) tls.setDefaultCACertificates(this.savedCaCertificates);
      if (this.options.tls) {
        if (this.savedExtraCaCerts === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
        else process.env.NODE_EXTRA_CA_CERTS = this.savedExtraCaCerts;
      }
      this.capture.stop();
    }
  }

  /**
   * A PostgreSQL that takes TLS connections only, with a server certificate (IP:127.0.0.1) of a CA made now. The CA
   * is trusted as NODE_EXTRA_CA_CERTS makes a Lambda function trust the RDS CAs: NODE_EXTRA_CA_CERTS names it for
   * every process started from here (the built bundles run in their own node), and this process, which read that
   * variable at its start, gets the CA added to its default CA certificates (what NODE_EXTRA_CA_CERTS does at start).
   */
  private async startTlsPostgres(): Promise<void> {
    const certs = makeTestCertificates(fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-tls-')));
    this.tlsServer = new PostgresServer(certs);
    await this.tlsServer.start();
    this.pg = this.tlsServer;
    this.savedCaCertificates = tls.getCACertificates('default');
    tls.setDefaultCACertificates([...this.savedCaCertificates, certs.ca]);
    this.savedExtraCaCerts = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = certs.caFile;
  }

  /** Drops every database and role of this file (FILE_ID in the name): the worker's next file finds the server as it was. */
  async dropFileObjects(): Promise<void> {
    const master = await this.pg.master();
    try {
      const pattern = `%${FILE_ID}%`;
      const databases = await master.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [pattern]);
      for (const { datname } of databases.rows) await master.query(`DROP DATABASE ${master.escapeIdentifier(datname)} WITH (FORCE)`);
      const roles = await master.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [pattern]);
      for (const { rolname } of roles.rows) await master.query(`DROP ROLE ${master.escapeIdentifier(rolname)}`);
    } finally {
      await master.end();
    }
  }

  /** Superuser client on the test database (direct, not through the proxy). */
  async master(): Promise<Client> {
    const client = await this.pg.master(DATABASE);
    this.clients.push(client);
    return client;
  }

  /** A long-lived "app task" connection opened with `url` (through the proxy). */
  async openSession(url: string): Promise<Client> {
    const client = await connect(url);
    this.clients.push(client);
    return client;
  }

  /** Base role `app` owning a table, NOLOGIN (the CDK stack's bootstrap value names it). */
  async createBaseRole(): Promise<void> {
    const master = await this.master();
    await master.query(`CREATE ROLE ${BASE_ROLE} NOLOGIN`);
    await master.query(`CREATE TABLE items (id int PRIMARY KEY, name text)`);
    await master.query(`INSERT INTO items VALUES (1, 'one')`);
    await master.query(`ALTER TABLE items OWNER TO ${BASE_ROLE}`);
    await master.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${BASE_ROLE}`);
  }

  bootstrapJson(password = randomBytes(24).toString('base64url')): string {
    this.extraSecrets.push(password);
    return JSON.stringify({ username: BASE_ROLE, password, host: '127.0.0.1', port: this.proxy.port, dbname: DATABASE });
  }

  /** Secrets Manager's rotation: the four steps with the same token; records error messages for the leak check. */
  async rotate(secretId: string, invoke: RotationInvoker, token?: string): Promise<RotationResult> {
    const result = await this.sm.rotate(secretId, invoke, token);
    if (!result.ok) this.capture.add(`${result.error.message}\n${result.error.stack ?? ''}\n`);
    return result;
  }

  /** Stage layout + tags + value hashes: compares states without ever printing a value. */
  snapshot(secretId: string): unknown {
    const hash = (v: string | undefined) => (v === undefined ? undefined : createHash('sha256').update(v).digest('hex').slice(0, 12));
    return {
      stages: this.sm.stages(secretId),
      // A failed step's record (fleapo:refused-version, fleapo:refusal) is a diagnostic, not the secret's state.
      tags: Object.fromEntries(Object.entries(this.sm.tags(secretId)).filter(([k]) => !REFUSAL_TAG_KEYS.includes(k))),
      current: hash(this.sm.value(secretId, 'AWSCURRENT')),
      pending: hash(this.sm.value(secretId, 'AWSPENDING')),
      previous: hash(this.sm.value(secretId, 'AWSPREVIOUS')),
      rolls: this.ecs.rollCount,
    };
  }

  /** Indices (never values) of secret values found in any captured output or error message. */
  leaks(): number[] {
    return leakedSecretIndices(this.capture.text, secretForms([...this.sm.storedValues, ...this.extraSecrets]));
  }
}

/** Records an error thrown by a direct handler call for the leak check, then rethrows it. */
export async function recordingErrors<T>(harness: RotationHarness, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    harness.capture.add(`${(error as Error).message}\n${(error as Error).stack ?? ''}\n`);
    throw error;
  }
}
