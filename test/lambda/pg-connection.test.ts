import '../support/test-env';
import { logsIn, sslUse } from '../../lambda/postgres/pg-connection';
import { PostgresAccess, workerPostgres } from '../support/postgres-server';

/** The worker's PostgreSQL (plain text, no TLS): only logs in, changes nothing. */
let server: PostgresAccess;

beforeAll(async () => {
  server = await workerPostgres();
});

describe('TLS use of the database functions', () => {
  test.each([
    [{ ssl: 'require' as const }, { sslmode: 'disable' }, 'require'],
    [{ ssl: 'require' as const }, {}, 'require'],
    [{ ssl: 'disable' as const }, {}, 'disable'],
    [{ ssl: 'disable' as const }, { sslmode: 'disable' }, 'disable'],
    [{ ssl: 'disable' as const }, { sslmode: 'prefer' }, 'disable'],
    [{ ssl: 'disable' as const }, { sslmode: 'require' }, 'require'],
    [{ ssl: 'disable' as const }, { sslmode: 'verify-full' }, 'require'],
  ])('DB_SSL %j and URL %j: %s (a secret can ask for TLS, never turn it off)', (settings, target, expected) => {
    expect(sslUse(target, settings)).toBe(expected);
  });

  const target = () => ({
    host: '127.0.0.1',
    port: server.port,
    database: 'postgres',
    user: server.masterUser,
    password: server.masterPassword,
  });
  const settings = (ssl: 'require' | 'disable') => ({ ssl, connectTimeoutMs: 3000 });

  test('DB_SSL=disable (tests only) reaches a server without TLS in plain text', async () => {
    await expect(logsIn(target(), settings('disable'))).resolves.toBe(true);
  });

  test('DB_SSL=require never falls back to plain text, whatever the URL says, and the error names no credential', async () => {
    for (const sslmode of [undefined, 'disable', 'prefer', 'allow']) {
      const error = await logsIn({ ...target(), sslmode }, settings('require')).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(/^Cannot connect to database 127\.0\.0\.1:\d+ as role postgres/);
      expect(error?.message).not.toContain(server.masterPassword);
    }
  });

  test('sslmode=require in the URL is honoured even when DB_SSL=disable', async () => {
    await expect(logsIn({ ...target(), sslmode: 'require' }, settings('disable'))).rejects.toThrow(/Cannot connect/);
  });
});
