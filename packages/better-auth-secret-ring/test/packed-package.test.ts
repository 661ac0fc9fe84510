/**
 * The package as the web app gets it: `npm pack` builds it (prepack) and packs it, the tarball is installed into a
 * scratch app together with better-auth from npm (from npm's cache when it is there), and that app, which imports
 * nothing of this repository, serves real HTTP. A user signs in, then the ring changes twice (a key switch each time,
 * as the AUTH_SECRET rotation does), with the old and the new instance serving side by side: the user stays signed in
 * and the cookie ends up signed with each new key. The declarations are checked by the TypeScript of a consumer that
 * resolves modules as Node does (nodenext).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

const PACKAGE_DIR = path.join(__dirname, '..');
const ROOT = path.join(PACKAGE_DIR, '../..');
const SESSION = 'better-auth.session_token';
/** The better-auth this repository tests against; the scratch app takes the same version from npm. */
const BETTER_AUTH_VERSION = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/better-auth/package.json'), 'utf8')) as { version: string }
).version;

/** The environment of a command of its own: no npm_* settings inherited from an `npm test` around jest. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))), ...extra };
}

function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The scratch app's server: one better-auth instance per ring version, each on its own port, one shared database. */
const SERVER = `
import { createServer } from 'node:http';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { toNodeHandler } from 'better-auth/node';
import { parseAuthSecretRing, withAuthSecretRing } from '@fleapo/better-auth-secret-ring';

const db = { user: [], session: [], account: [], verification: [] };
const names = process.env.RING_NAMES.split(',');
const servers = names.map(() => createServer());
await Promise.all(servers.map((s) => new Promise((resolve) => s.listen(0, '127.0.0.1', resolve))));
const origins = servers.map((s) => 'http://127.0.0.1:' + s.address().port);
names.forEach((name, i) => {
  const ring = parseAuthSecretRing(process.env['RING_' + name], 'RING_' + name);
  const auth = betterAuth(
    withAuthSecretRing(
      {
        baseURL: origins[i],
        trustedOrigins: origins,
        database: memoryAdapter(db),
        emailAndPassword: { enabled: true },
        logger: { disabled: true },
        telemetry: { enabled: false },
      },
      ring,
    ),
  );
  servers[i].on('request', toNodeHandler(auth));
});
console.log(JSON.stringify(Object.fromEntries(names.map((name, i) => [name, origins[i]]))));
`;

/** A consumer's TypeScript: the declarations resolve and type the exports (nodenext, as Node resolves modules). */
const CONSUMER_TS = `
import { betterAuth } from 'better-auth';
import { parseAuthSecretRing, withAuthSecretRing, type AuthSecretRing } from '@fleapo/better-auth-secret-ring';

const ring: AuthSecretRing = parseAuthSecretRing(process.env.AUTH_SECRET);
// @ts-expect-error -- current is a string: this fails to compile if the declarations were not found (any)
const wrong: number = ring.current;
export const auth = betterAuth(withAuthSecretRing({ emailAndPassword: { enabled: true } }, ring));
export { wrong };
`;

/** A browser's cookies for the host (cookies are not scoped by port): applies Set-Cookie, sends Cookie. */
class CookieJar {
  readonly cookies = new Map<string, string>();
  apply(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value === '' || attributes.some((a) => /^max-age=0$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** The key (by name) the session cookie is signed with (`token.base64(HMAC-SHA256(key, token))`), or undefined. */
function signedUnder(jar: CookieJar, keys: Record<string, string>): string | undefined {
  const raw = jar.cookies.get(SESSION);
  if (raw === undefined) return undefined;
  const decoded = decodeURIComponent(raw);
  const dot = decoded.lastIndexOf('.');
  const [token, signature] = [decoded.slice(0, dot), decoded.slice(dot + 1)];
  return Object.entries(keys).find(([, key]) => createHmac('sha256', key).update(token).digest('base64') === signature)?.[0];
}

/** A request over HTTP to the instance at `origin`, as the browser sends it; applies the answer's cookies. */
async function request(origin: string, jar: CookieJar, route: string, body?: unknown): Promise<Response> {
  const headers = new Headers({ origin });
  if (jar.cookies.size > 0) headers.set('cookie', jar.header());
  if (body !== undefined) headers.set('content-type', 'application/json');
  const response = await fetch(`${origin}/api/auth${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  jar.apply(response.headers);
  return response;
}

/** GET /get-session: the signed-in user's id, or null. */
async function sessionUser(origin: string, jar: CookieJar): Promise<string | null> {
  const response = await request(origin, jar, '/get-session');
  expect(response.status).toBe(200);
  const body = (await response.json()) as { user?: { id: string } } | null;
  return body?.user?.id ?? null;
}

const key = () => randomBytes(64).toString('hex');
const KEYS = { A: key(), B: key(), C: key(), D: key() };
/** The ring as the rotation writes it: A published B; the first change switches to B; the second to C. */
const RINGS = {
  V1: JSON.stringify({ current: KEYS.A, next: KEYS.B }),
  V2: JSON.stringify({ current: KEYS.B, next: KEYS.C, previous: KEYS.A }),
  V3: JSON.stringify({ current: KEYS.C, next: KEYS.D, previous: KEYS.B }),
};

let scratch: string;
let packed: { filename: string; files: { path: string }[] };
let server: ChildProcess | undefined;
let origins: Record<keyof typeof RINGS, string>;

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'web-app-'));
  // npm pack runs prepack: the build into dist/.
  [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch], PACKAGE_DIR)) as (typeof packed)[];
  fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'web-app', private: true, type: 'module' }));
  run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      `./${packed.filename}`,
      `better-auth@${BETTER_AUTH_VERSION}`,
    ],
    scratch,
  );
  fs.writeFileSync(path.join(scratch, 'server.mjs'), SERVER);
  server = spawn(process.execPath, ['server.mjs'], {
    cwd: scratch,
    env: cleanEnv({
      RING_NAMES: Object.keys(RINGS).join(','),
      ...Object.fromEntries(Object.entries(RINGS).map(([k, v]) => [`RING_${k}`, v])),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr!.on('data', (d) => (stderr += d));
  const first = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: server!.stdout! }).once('line', resolve);
    server!.once('exit', (code) => reject(new Error(`the scratch app's server exited (${code}):\n${stderr}`)));
  });
  origins = JSON.parse(first) as typeof origins;
}, 600000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill();
    await exited;
  }
});

test('the tarball holds the built package only: ES modules, declarations, README, CHANGELOG', () => {
  const files = packed.files.map((f) => f.path).sort();
  expect(files).toEqual(expect.arrayContaining(['CHANGELOG.md', 'README.md', 'dist/index.d.ts', 'dist/index.js', 'package.json']));
  expect(files.filter((f) => !/^dist\/[a-z-]+\.(js|d\.ts)$/.test(f))).toEqual(['CHANGELOG.md', 'README.md', 'package.json']);
  const manifest = JSON.parse(fs.readFileSync(path.join(scratch, 'node_modules/@fleapo/better-auth-secret-ring/package.json'), 'utf8'));
  expect(manifest.private).toBeUndefined();
  expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
  expect(fs.readFileSync(path.join(PACKAGE_DIR, 'CHANGELOG.md'), 'utf8')).toContain(`## ${manifest.version}`);
  // CommonJS consumers: Node (20.19 and later) loads the ES module with require, as it loads better-auth 1.7.
  const required = run(
    process.execPath,
    ['-e', "console.log(typeof require('@fleapo/better-auth-secret-ring').withAuthSecretRing)"],
    scratch,
  );
  expect(required.trim()).toBe('function');
  // The app's better-auth is its own, from npm: not this repository's.
  const betterAuth = fs.realpathSync(path.join(scratch, 'node_modules/better-auth'));
  expect(betterAuth.startsWith(scratch)).toBe(true);
});

test("a consumer's TypeScript (nodenext) finds the declarations and their types", () => {
  fs.writeFileSync(path.join(scratch, 'consumer.ts'), CONSUMER_TS);
  const tsc = require.resolve('typescript/bin/tsc');
  const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
  const types = ['--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules/@types')];
  run(process.execPath, [tsc, ...args, ...types, 'consumer.ts'], scratch);
});

test('over HTTP: sign-in, then two ring changes with old and new instances side by side; never signed out, re-signed each time', async () => {
  const jar = new CookieJar();
  const email = `u${randomBytes(4).toString('hex')}@fleapo.test`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const signUp = await request(origins.V1, jar, '/sign-up/email', { email, password, name: 'User' });
  expect(signUp.status).toBe(200);
  const user = ((await signUp.json()) as { user: { id: string } }).user.id;
  jar.cookies.clear();
  const signIn = await request(origins.V1, jar, '/sign-in/email', { email, password });
  expect(signIn.status).toBe(200);
  expect(signedUnder(jar, KEYS)).toBe('A');
  const underA = new Map(jar.cookies);

  // The first ring change (switch to B): old (V1) and new (V2) instances answer in turn; each re-signs the cookie
  // under its own current key, so after a request to a new instance it is under B.
  for (const origin of [origins.V2, origins.V1, origins.V2, origins.V1, origins.V2]) expect(await sessionUser(origin, jar)).toBe(user);
  expect(signedUnder(jar, KEYS)).toBe('B');

  // The second (switch to C): V2 and V3 side by side.
  for (const origin of [origins.V3, origins.V2, origins.V3, origins.V2, origins.V3]) expect(await sessionUser(origin, jar)).toBe(user);
  expect(signedUnder(jar, KEYS)).toBe('C');

  // A cookie still under A, once A has left the ring, is refused as plain better-auth refuses it.
  const stale = new CookieJar();
  for (const [k, v] of underA) stale.cookies.set(k, v);
  expect(await sessionUser(origins.V3, stale)).toBeNull();
});
