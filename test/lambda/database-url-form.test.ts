import { parse, parseIntoClientConfig } from 'pg-connection-string';
import { DatabaseSettings } from '../../lambda/config/env';
import { buildDatabaseUrl, configuredQuery, readConfiguredSecret, readConfiguredUrl } from '../../lambda/postgres/database-target';

/*
 * A DATABASE_URL is built from the configuration, never copied, and a value that is not exactly what the
 * configuration produces is refused: judged with pg's own parser (pg-connection-string), which is what the app and
 * the functions' pg client would connect with. pg-connection-string copies EVERY query key into the connection
 * settings (node_modules/pg-connection-string/index.js: `config[key] = value` for each search parameter), and maps
 * these itself: `host`, `port` (override the URL's), `user`, `password` (override the user information), `ssl`,
 * `sslmode` (`disable` turns TLS off, `no-verify` stops verifying), `sslcert`/`sslkey`/`sslrootcert` (files the client
 * reads), `sslnegotiation`, `uselibpqcompat` (libpq semantics: `require` then skips certificate checks), and for
 * `socket:` URLs `db`/`encoding`; pg then reads `options`, `application_name`, `client_encoding`, `statement_timeout`,
 * `keepalives`, `replication`, ... from the same settings.
 */
const PASSWORD = 'Zx9-pw_' + 'a'.repeat(36); // the form of generateDatabasePassword (base64url)
const target = { host: 'db.internal.example.com', port: 6543, database: 'fleapo', appUser: 'app' };
const settings = (ssl: DatabaseSettings['ssl']) => ({ target, ssl });
const WHAT = 'Secret fleapo/test/database-url: AWSCURRENT';

/** What pg would connect to, from the value alone. */
function pgTarget(value: string) {
  const c = parseIntoClientConfig(value);
  return { host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, ssl: c.ssl };
}

/** TLS as pg (8.x) would use it: an `ssl` object that does not turn verification off (sslmode=require is verify-full). */
function expectTls(value: string): void {
  const raw = parse(value);
  expect(typeof raw.ssl).toBe('object');
  expect((raw.ssl as { rejectUnauthorized?: boolean }).rejectUnauthorized).not.toBe(false);
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('the values the functions write are the configured target, as pg reads them', () => {
  test.each(['app', 'app_clone'])('DB_SSL=require, role %s: configured host, port, database, that role, TLS verified', (role) => {
    const value = buildDatabaseUrl(settings('require'), role, PASSWORD);
    expect(value).toBe(`postgres://${role}:${PASSWORD}@db.internal.example.com:6543/fleapo?sslmode=require`);
    expect(pgTarget(value)).toMatchObject({ host: target.host, port: 6543, user: role, password: PASSWORD, database: 'fleapo' });
    expectTls(value);
    expect(readConfiguredUrl(value, settings('require'), WHAT)).toMatchObject({ user: role, password: PASSWORD });
  });

  test('DB_SSL=disable (a test database without TLS): no query at all, so nothing asks pg for anything else', () => {
    expect(configuredQuery('disable')).toBe('');
    const value = buildDatabaseUrl(settings('disable'), 'app', PASSWORD);
    expect(value).toBe(`postgres://app:${PASSWORD}@db.internal.example.com:6543/fleapo`);
    expect(pgTarget(value)).toEqual({ host: target.host, port: 6543, user: 'app', password: PASSWORD, database: 'fleapo', ssl: undefined });
    expect(readConfiguredUrl(value, settings('disable'), WHAT).user).toBe('app');
  });

  test('a value written for DB_SSL=require is refused under DB_SSL=disable and the reverse (exactly the configured query)', () => {
    const secure = buildDatabaseUrl(settings('require'), 'app', PASSWORD);
    const plain = buildDatabaseUrl(settings('disable'), 'app', PASSWORD);
    expect(refusal(() => readConfiguredUrl(secure, settings('disable'), WHAT))).toMatch(
      /its query key\(s\) sslmode \(the configuration asks for no query\)/,
    );
    expect(refusal(() => readConfiguredUrl(plain, settings('require'), WHAT))).toMatch(
      /its query \(the configuration asks for "\?sslmode=require" only\)/,
    );
  });
});

describe('a value with any other query key is refused, naming the key, never the value', () => {
  const base = `postgres://app:${PASSWORD}@db.internal.example.com:6543/fleapo`;
  const attacks: [string, string][] = [
    // The value: the configured host in the URL, another host, port and no TLS in the query.
    ['?host=elsewhere.example.net&port=5432&sslmode=disable', 'host, port, sslmode'],
    ['?sslmode=require&host=elsewhere.example.net', 'sslmode, host'],
    ['?sslmode=require&port=5433', 'sslmode, port'],
    ['?sslmode=require&user=postgres', 'sslmode, user'],
    ['?sslmode=require&password=other', 'sslmode, password'],
    ['?sslmode=disable', 'sslmode'],
    ['?sslmode=no-verify', 'sslmode'],
    ['?sslmode=require&uselibpqcompat=true', 'sslmode, uselibpqcompat'],
    ['?sslmode=require&ssl=0', 'sslmode, ssl'],
    ['?sslmode=require&sslrootcert=/tmp/attacker-ca.pem', 'sslmode, sslrootcert'],
    ['?sslmode=require&sslcert=/etc/passwd&sslkey=/etc/passwd', 'sslmode, sslcert, sslkey'],
    ['?sslmode=require&sslnegotiation=direct', 'sslmode, sslnegotiation'],
    ['?sslmode=require&options=-c%20search_path%3Devil', 'sslmode, options'],
    ['?sslmode=require&application_name=x', 'sslmode, application_name'],
    ['?sslmode=require&client_encoding=SQL_ASCII', 'sslmode, client_encoding'],
    ['?sslmode=require&statement_timeout=1', 'sslmode, statement_timeout'],
    ['?sslmode=require&replication=database', 'sslmode, replication'],
    ['?sslmode=require&db=postgres&encoding=x', 'sslmode, db, encoding'],
    [`?sslmode=require&${PASSWORD}=1`, 'sslmode, 1 other'],
  ];

  test("the issue's value really redirects pg: another host and port, in plain text (so the refusal below matters)", () => {
    const value = `${base}?host=elsewhere.example.net&port=5432&sslmode=disable`;
    expect(pgTarget(value)).toMatchObject({ host: 'elsewhere.example.net', port: 5432, ssl: false });
    expect(pgTarget(`${base}?sslmode=require&user=postgres`).user).toBe('postgres');
  });

  test.each(attacks)('query %s: refused as AWSCURRENT and AWSPENDING, for either DB_SSL', (query, keys) => {
    for (const ssl of ['require', 'disable'] as const) {
      for (const what of ['AWSCURRENT', 'AWSPENDING']) {
        const message = refusal(() => readConfiguredUrl(`${base}${query}`, settings(ssl), `Secret s: ${what}`));
        expect(message).toContain(`Secret s: ${what} is refused: its query key(s) ${keys} (the configuration asks for`);
        expect(message).not.toContain(PASSWORD);
        expect(message).not.toContain('elsewhere');
        expect(message).not.toContain('evil');
      }
      expect(() => readConfiguredSecret(`${base}${query}`, settings(ssl), WHAT)).toThrow(/is refused: its query key\(s\)/);
    }
  });

  test('user information, host, port, path or fragment the configuration does not produce: refused, naming the part', () => {
    const cases: [string, RegExp][] = [
      [`postgres://app:${PASSWORD}@db.internal.example.com:6543/fleapo?sslmode=require#x`, /its fragment/],
      [`postgres://app:${PASSWORD}@DB.internal.example.com:6543/fleapo?sslmode=require`, /its host and port/],
      [`postgres://app:${PASSWORD}@db.internal.example.com:6543/fleapo/x?sslmode=require`, /without a database name|its path/],
      [`postgres://app:${PASSWORD}@db.internal.example.com:6543/fleap%6F?sslmode=require`, /its path/],
      [`postgres://%61pp:${PASSWORD}@db.internal.example.com:6543/fleapo?sslmode=require`, /its user information/],
      [`postgres://app:${PASSWORD}@x@db.internal.example.com:6543/fleapo?sslmode=require`, /its user information/],
      [`postgres://app:${PASSWORD}@db.internal.example.com:6543/fleapo?`, /its query/],
    ];
    for (const [value, problem] of cases) {
      const message = refusal(() => readConfiguredUrl(value, settings('require'), WHAT));
      expect(message).toMatch(problem);
      expect(message).not.toContain(PASSWORD);
    }
    // The target and role checks still come first, with their own messages.
    expect(refusal(() => readConfiguredUrl(`postgres://app:${PASSWORD}@elsewhere:6543/fleapo`, settings('disable'), WHAT))).toMatch(
      /points at database elsewhere:6543\/fleapo, not the configured db\.internal\.example\.com:6543\/fleapo/,
    );
    expect(
      refusal(() => readConfiguredUrl(`postgres://postgres:${PASSWORD}@db.internal.example.com:6543/fleapo`, settings('disable'), WHAT)),
    ).toMatch(/names role postgres, which is neither/);
  });

  test('every value the reader accepts is, for pg, the configured target with the configured TLS', () => {
    const candidates = [
      buildDatabaseUrl(settings('require'), 'app', PASSWORD),
      buildDatabaseUrl(settings('require'), 'app_clone', PASSWORD),
      `postgresql://app:${PASSWORD}@db.internal.example.com:6543/fleapo?sslmode=require`,
      ...attacks.map(([query]) => `${base}${query}`),
    ];
    let accepted = 0;
    for (const value of candidates) {
      try {
        readConfiguredUrl(value, settings('require'), WHAT);
      } catch {
        continue;
      }
      accepted += 1;
      expect(pgTarget(value)).toMatchObject({ host: target.host, port: target.port, database: target.database, password: PASSWORD });
      expect(['app', 'app_clone']).toContain(pgTarget(value).user);
      expectTls(value);
    }
    expect(accepted).toBe(3);
  });
});

describe("the bootstrap JSON: the stack's fields only, the configured target and TLS", () => {
  const json = (fields: Record<string, unknown>) =>
    JSON.stringify({ username: 'app', password: PASSWORD, host: target.host, port: 6543, dbname: 'fleapo', sslmode: 'require', ...fields });

  test('the form the stack writes is accepted', () => {
    expect(readConfiguredSecret(json({}), settings('require'), WHAT)).toMatchObject({ kind: 'bootstrap', url: { user: 'app' } });
    expect(readConfiguredSecret(json({ sslmode: undefined }), settings('require'), WHAT).kind).toBe('bootstrap');
  });

  test('an extra field or another sslmode is refused, naming the field, never the value', () => {
    for (const [fields, problem] of [
      [{ options: '-c search_path=evil' }, /field\(s\) the stack does not write: options/],
      [{ engine: 'postgres', sslrootcert: '/tmp/x' }, /field\(s\) the stack does not write: engine, sslrootcert/],
      [{ [PASSWORD]: 1 }, /field\(s\) the stack does not write: 1 other/],
      [{ sslmode: 'disable' }, /its field "sslmode" is not the configured DB_SSL \(require\)/],
    ] as [Record<string, unknown>, RegExp][]) {
      const message = refusal(() => readConfiguredSecret(json(fields), settings('require'), WHAT));
      expect(message).toMatch(problem);
      expect(message).not.toContain(PASSWORD);
      expect(message).not.toContain('evil');
    }
  });
});
