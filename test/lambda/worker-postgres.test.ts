import '../support/test-env';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connect, WORKER_POSTGRES_PREFIX, workerPostgres } from '../support/postgres-server';
import { BASE_ROLE, DATABASE, FILE_ID, fileRole, RotationHarness } from '../support/rotation-harness';
import { RUN_DIR_ENV } from '../support/test-run';

/*
 * The test files of a jest worker share one PostgreSQL (workerPostgres). Each file keeps to names of its own and
 * leaves the server as it found it; the server does not keep its process alive and goes away with it.
 */

/** The cluster's databases and roles (names only). */
async function clusterNames(): Promise<{ databases: string[]; roles: string[] }> {
  const master = await (await workerPostgres()).master();
  try {
    const databases = (await master.query<{ datname: string }>('SELECT datname FROM pg_database ORDER BY 1')).rows.map((r) => r.datname);
    const roles = (await master.query<{ rolname: string }>('SELECT rolname FROM pg_roles ORDER BY 1')).rows.map((r) => r.rolname);
    return { databases, roles };
  } finally {
    await master.end();
  }
}

test('one server per process: every caller gets the same one, and it accepts its master', async () => {
  const [a, b] = await Promise.all([workerPostgres(), workerPostgres()]);
  expect(b.port).toBe(a.port);
  expect(b.masterPassword === a.masterPassword).toBe(true);
  const master = await a.master();
  expect((await master.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  await master.end();
});

test("a test file's names carry its FILE_ID, and RotationHarness.stop() drops its databases and roles", async () => {
  expect(DATABASE).toContain(FILE_ID);
  expect(BASE_ROLE).toContain(FILE_ID);
  expect(fileRole('intruder')).toContain(FILE_ID);
  const before = await clusterNames();
  expect(JSON.stringify(before)).not.toContain(FILE_ID);

  const h = new RotationHarness();
  await h.start();
  await h.createBaseRole(); // the base role owns a table in the file's database
  const master = await h.master();
  await master.query(`CREATE ROLE ${BASE_ROLE}_clone LOGIN PASSWORD 'x' IN ROLE ${BASE_ROLE}`); // secretlint-disable-line -- test role
  await master.query(`CREATE ROLE ${fileRole('intruder')} LOGIN`);
  const session = await h.openSession(`postgres://${h.pg.masterUser}:${h.pg.masterPassword}@127.0.0.1:${h.proxy.port}/${DATABASE}`);
  await session.query('SELECT 1'); // an open session (through the proxy) must not keep the database from going
  const during = await clusterNames();
  expect(during.databases).toContain(DATABASE);
  expect(during.roles).toEqual(expect.arrayContaining([BASE_ROLE, `${BASE_ROLE}_clone`, fileRole('intruder')]));
  await h.stop();

  expect(await clusterNames()).toEqual(before);
});

/** Runs a process that starts its workerPostgres and then exits (on its own, or killed); returns what it reported. */
async function serverOfExitingProcess(how: 'returns' | 'is killed'): Promise<{ port: number; dir: string; exit: string }> {
  const script = path.join(os.tmpdir(), `worker-postgres-${how === 'returns' ? 'returns' : 'killed'}.ts`);
  fs.writeFileSync(
    script,
    `import * as fs from 'node:fs';\n` +
      `import * as os from 'node:os';\n` +
      `import { workerPostgres } from ${JSON.stringify(path.resolve(__dirname, '../support/postgres-server'))};\n` +
      `workerPostgres().then((pg) => {\n` +
      `  const dir = fs.readdirSync(os.tmpdir()).find((n) => n.startsWith(${JSON.stringify(WORKER_POSTGRES_PREFIX)}));\n` +
      `  process.stdout.write(JSON.stringify({ port: pg.port, dir: os.tmpdir() + '/' + dir }) + '\\n');\n` +
      (how === 'is killed' ? `  process.kill(process.pid, 'SIGKILL');\n` : '') +
      `});\n`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: os.tmpdir() };
  delete env[RUN_DIR_ENV]; // its server in this file's temp directory, not the run's
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: path.resolve(__dirname, '../..'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const exit = await new Promise<string>((resolve) => child.on('close', (code, signal) => resolve(signal ?? String(code))));
  return { ...JSON.parse(stdout.trim()), exit };
}

/** Polls `check` until it holds or `deadlineMs` passed (a liveness bound, not a speed target). */
async function eventually(check: () => boolean | Promise<boolean>, deadlineMs = 30_000): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

const accepts = (port: number) =>
  connect({ host: '127.0.0.1', port, user: 'postgres', password: 'wrong', database: 'postgres' }).then(
    (c) => c.end().then(() => true),
    (e: Error) => !/ECONNREFUSED/.test(e.message), // a wrong password still means a server listens
  );

test.each(['returns', 'is killed'] as const)(
  'the server does not keep its process alive, and stops and removes its files when the process %s',
  async (how) => {
    const { port, dir, exit } = await serverOfExitingProcess(how);
    expect(exit).toBe(how === 'returns' ? '0' : 'SIGKILL'); // 'returns': the process ended on its own, the server running
    expect(dir).toContain(WORKER_POSTGRES_PREFIX);
    expect(await eventually(() => !fs.existsSync(dir))).toBe(true);
    expect(await eventually(async () => !(await accepts(port)))).toBe(true);
  },
);
