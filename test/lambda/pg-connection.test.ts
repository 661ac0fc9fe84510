import '../support/test-env';
import { logsIn, sslUse } from '../../lambda/postgres/pg-connection';
import { PostgresServer } from '../support/postgres-server';

const server = new PostgresServer();

beforeAll(() => server.start());
afterAll(() => server.stop());

describe('TLS use of the database functions', () => {
  test.each([
    [{ ssl: 'require' as const }, { sslmode: 'disable' }, 'require'],
    [{ ssl: 'disable' as const }, { sslmode: 'require' }, 'disable'],
    [{ ssl: undefined }, { sslmode: 'disable' }, 'disable'],
    [{ ssl: undefined }, { sslmode: 'verify-full' }, 'require'],
    [{ ssl: undefined }, { sslmode: 'require' }, 'require'],
    [{ ssl: undefined }, {}, 'prefer'],
  ])('DB_SSL %j and URL %j: %s', (settings, target, expected) => {
    expect(sslUse(target, settings)).toBe(expected);
  });

  const target = () => ({ host: '127.0.0.1', port: server.port, database: 'postgres', user: server.masterUser, password: server.masterPassword });
  const settings = (ssl: 'require' | 'disable' | undefined) => ({ ssl, connectTimeoutMs: 3000 });

  test('with neither DB_SSL nor sslmode, a server without TLS is reached in plain text (libpq prefer)', async () => {
    await expect(logsIn(target(), settings(undefined))).resolves.toBe(true);
  });

  test('DB_SSL=require never falls back to plain text, and the error names no credential', async () => {
    const error = await logsIn(target(), settings('require')).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^Cannot connect to database 127\.0\.0\.1:\d+ as role postgres/);
    expect(error?.message).not.toContain(server.masterPassword);
  });

  test('sslmode=require in the URL is honoured when DB_SSL is unset', async () => {
    await expect(logsIn({ ...target(), sslmode: 'require' }, settings(undefined))).rejects.toThrow(/Cannot connect/);
    await expect(logsIn({ ...target(), sslmode: 'disable' }, settings(undefined))).resolves.toBe(true);
  });
});
