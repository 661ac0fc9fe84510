/**
 * npm run bench — measured side by side in one run:
 * 0. `npm run synth` (the cdk CLI with cdk.json's app) against an empty CDK app (one empty stack, plain JavaScript)
 *    synthesized by the same CLI, interleaved: a cold synth (new cdk.out) and a warm one (cdk.out of an earlier
 *    synth: validation report and bundles reused), as ratios to the empty app, with where a cold synth's time goes
 *    (scripts/synth-phases.ts); and the phases of `npm test` (each alone, then the whole command) as shares of it.
 *    `--no-suite` skips the suite, `--only-synth` does only 0, `--only-postgres` only 3.
 * 1. each handler's bundle (esbuild, lib/bundling/handler-code.ts options) size and cold import time in a fresh
 *    `node` process (median of several runs, interleaved), against a baseline handler that only
 *    imports the same AWS SDK v3 clients, as ratios;
 * 2. the time of each rotation step (in-process handlers, local Secrets Manager/ECS doubles, real
 *    embedded PostgreSQL), median over several rotations, and of the role retirement;
 * 3. what a PostgreSQL test file pays before its first test: a server of its own (initdb, start, its database,
 *    stop) against its own database on the jest worker's shared server (create, drop), interleaved, as a ratio.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ESBUILD_TARGET } from '../lib/node-version';
import { bundleAll, bundleHandler, PROJECT_ROOT } from '../test/support/bundle-handlers';

const IMPORT_RUNS = 9;
const SYNTH_RUNS = 3;
const ROTATIONS = 5;
const PG_RUNS = 3;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;
const kb = (x: number) => `${(x / 1024).toFixed(1)} KiB`;

function coldImportMs(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
  const out = execFileSync(process.execPath, ['-e', script], {
    env: { ...process.env, NODE_PATH: path.join(PROJECT_ROOT, 'node_modules'), POWERTOOLS_SERVICE_NAME: 'bench' },
  });
  return Number(out.toString());
}

function timedRun(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): number {
  const t = performance.now();
  execFileSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: 'ignore' });
  return (performance.now() - t) / 1000;
}

function benchSynth(): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-bench-synth-'));
  const cdk = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
  try {
    const emptyDir = path.join(dir, 'empty');
    fs.mkdirSync(emptyDir);
    fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(emptyDir, 'node_modules'));
    fs.writeFileSync(
      path.join(emptyDir, 'app.js'),
      "const { App, Stack } = require('aws-cdk-lib');\nconst app = new App();\nnew Stack(app, 'Empty');\napp.synth();\n",
    );
    const warmOut = path.join(dir, 'warm.out');
    timedRun(cdk, ['synth', '--quiet', '--no-notices', '-o', warmOut], { cwd: PROJECT_ROOT }); // fills warmOut
    const t: Record<'empty' | 'cold' | 'warm', number[]> = { empty: [], cold: [], warm: [] };
    for (let i = 0; i < SYNTH_RUNS; i++) {
      t.empty.push(
        timedRun(cdk, ['synth', '--quiet', '--no-notices', '--app', 'node app.js', '-o', path.join(dir, `empty${i}.out`)], {
          cwd: emptyDir,
        }),
      );
      t.cold.push(timedRun(cdk, ['synth', '--quiet', '--no-notices', '-o', path.join(dir, `cold${i}.out`)], { cwd: PROJECT_ROOT }));
      t.warm.push(timedRun(cdk, ['synth', '--quiet', '--no-notices', '-o', warmOut], { cwd: PROJECT_ROOT }));
    }
    const phases = synthPhases(dir);
    const e = median(t.empty);
    const line = (label: string, xs: number[]) =>
      `  ${label.padEnd(52)} ${`${median(xs).toFixed(2)} s`.padStart(9)} ${(median(xs) / e).toFixed(2).padStart(7)}x   (min ${Math.min(...xs).toFixed(2)} s)`;
    return [
      `Synth through the cdk CLI (${path.basename(cdk)} synth --quiet), interleaved, median of ${SYNTH_RUNS}; x = ratio to the empty app (goal <= 1.5x):`,
      line('empty app (one empty stack, node app.js)', t.empty),
      line('npm run synth, warm (cdk.out of an earlier synth)', t.warm),
      line('npm run synth, cold (new cdk.out)', t.cold),
      '',
      `Where a cold synth's time goes: the app alone in one node process (cdk.json's flags, no CLI), median of ${SYNTH_RUNS}:`,
      ...phases,
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The milestones of scripts/synth-phases.ts over SYNTH_RUNS cold synths, as lines of durations. */
function synthPhases(dir: string): string[] {
  type Phases = {
    processStart: number;
    modulesLoaded: number;
    constructed: number;
    templatesWritten: number;
    synthesized: number;
    plugins: Record<string, number>;
  };
  const runs: Phases[] = [];
  for (let i = 0; i < SYNTH_RUNS; i++) {
    const out = execFileSync(
      process.execPath,
      ['--liftoff-only', '--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'synth-phases.ts'), path.join(dir, `phases${i}.out`)],
      // As the CLI runs the app (no construct stack traces).
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:disable-stack-trace': true }) },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    runs.push(JSON.parse(out.toString().trim().split('\n').pop()!) as Phases);
  }
  const m = (f: (p: Phases) => number) => median(runs.map(f));
  const row = (label: string, msValue: number) => `  ${label.padEnd(52)} ${`${(msValue / 1000).toFixed(2)} s`.padStart(9)}`;
  return [
    row(
      'node and tsx start',
      m((p) => p.processStart),
    ),
    row(
      "the app's modules load",
      m((p) => p.modulesLoaded - p.processStart),
    ),
    row(
      'the app is constructed (bundling included)',
      m((p) => p.constructed - p.modulesLoaded),
    ),
    row(
      'templates are written',
      m((p) => p.templatesWritten - p.constructed),
    ),
    ...Object.keys(runs[0].plugins).map((name) =>
      row(
        `validation: ${name}`,
        m((p) => p.plugins[name]),
      ),
    ),
    row(
      'total (to the end of synth)',
      m((p) => p.synthesized),
    ),
  ];
}

function benchSuite(): string[] {
  const bin = (name: string) => path.join(PROJECT_ROOT, 'node_modules', '.bin', name);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-bench-suite-'));
  try {
    const phases: [string, number][] = [
      ['tsc --noEmit (from scratch)', timedRun(bin('tsc'), ['--noEmit'], { cwd: PROJECT_ROOT })],
      [
        'tsc --noEmit --incremental (unchanged tree)',
        timedRun(bin('tsc'), ['--noEmit', '--incremental', '--tsBuildInfoFile', path.join(dir, 'tsbuildinfo')], { cwd: PROJECT_ROOT }),
      ],
      ['lint:secrets', timedRun('npm', ['run', '--silent', 'lint:secrets'], { cwd: PROJECT_ROOT })],
      ['check:env-files', timedRun('npm', ['run', '--silent', 'check:env-files'], { cwd: PROJECT_ROOT })],
      ['jest', timedRun(bin('jest'), ['--silent'], { cwd: PROJECT_ROOT })],
    ];
    phases[1][1] = timedRun(bin('tsc'), ['--noEmit', '--incremental', '--tsBuildInfoFile', path.join(dir, 'tsbuildinfo')], {
      cwd: PROJECT_ROOT,
    }); // second run: warm
    const total = timedRun('npm', ['test', '--silent'], { cwd: PROJECT_ROOT });
    return [
      `npm test and its phases, each run alone (goal: npm test <= 90 s on 2 cores); share = phase / npm test:`,
      ...phases.map(([label, s]) => `  ${label.padEnd(52)} ${`${s.toFixed(1)} s`.padStart(9)} ${(s / total).toFixed(2).padStart(7)}`),
      `  ${'npm test (checks beside jest)'.padEnd(52)} ${`${total.toFixed(1)} s`.padStart(9)} ${'1.00'.padStart(7)}`,
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchBundles(): Promise<string[]> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-bench-'));
  try {
    const baselineEntry = path.join(outdir, 'baseline-entry.ts');
    fs.writeFileSync(
      baselineEntry,
      `import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';\n` +
        `import { ECSClient } from '@aws-sdk/client-ecs';\n` +
        `export const clients = [SecretsManagerClient, ECSClient];\n` +
        `export const handler = async () => undefined;\n`,
    );
    const baselineFile = path.join(outdir, 'baseline.js');
    const bundles = {
      baseline: { file: baselineFile, bytes: await bundleHandler(path.relative(PROJECT_ROOT, baselineEntry), baselineFile) },
      ...(await bundleAll(outdir)),
    };
    const names = Object.keys(bundles) as (keyof typeof bundles)[];
    const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (const n of names) coldImportMs(bundles[n].file); // warm the OS file cache once
    for (let i = 0; i < IMPORT_RUNS; i++) for (const n of names) samples[n].push(coldImportMs(bundles[n].file));
    const base = { bytes: bundles.baseline.bytes, importMs: median(samples.baseline) };
    const lines = [
      `Bundles (esbuild: platform node, target ${ESBUILD_TARGET}, cjs, minify, @aws-sdk/* external); cold require() in a fresh node, median of ${IMPORT_RUNS}:`,
      `  ${'handler'.padEnd(26)} ${'bundle'.padStart(10)} ${'x base'.padStart(8)} ${'import'.padStart(10)} ${'x base'.padStart(8)}`,
    ];
    for (const n of names) {
      const m = median(samples[n]);
      lines.push(
        `  ${n.padEnd(26)} ${kb(bundles[n].bytes).padStart(10)} ${(bundles[n].bytes / base.bytes).toFixed(1).padStart(8)} ${ms(m).padStart(10)} ${(m / base.importMs).toFixed(2).padStart(8)}`,
      );
    }
    lines.push('  (baseline = a handler importing only @aws-sdk/client-secrets-manager and @aws-sdk/client-ecs)');
    return lines;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

async function benchSteps(): Promise<string[]> {
  process.env.POWERTOOLS_SERVICE_NAME = 'bench';
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  const { RotationHarness } = await import('../test/support/rotation-harness');
  const { invoker, deploymentEvent } = await import('../test/support/events');
  const { randomBytes } = await import('node:crypto');
  const auth = await import('../lambda/auth-secret-rotation');
  const db = await import('../lambda/database-url-rotation');
  const retirement = await import('../lambda/database-role-retirement');

  const h = new RotationHarness();
  const timings: Record<string, number[]> = {};
  const timed = (label: string, run: (e: never) => Promise<unknown>) => async (event: { Step: string }) => {
    const t = performance.now();
    await run(event as never);
    (timings[`${label} ${event.Step}`] ??= []).push(performance.now() - t);
  };
  let leaks: number[] = [];
  let failures = 0;
  try {
    await h.start();
    await h.createBaseRole();
    const dbArn = h.sm.createSecret('fleapo/bench/database-url', h.bootstrapJson());
    const authArn = h.sm.createSecret('fleapo/bench/auth-secret', randomBytes(64).toString('hex'));
    process.env.SECRET_ARN = dbArn;
    await h.rotate(dbArn, invoker(db.handler)); // bootstrap rotation, not timed
    await h.rotate(authArn, invoker(auth.handler)); // warm the SDK clients
    for (let i = 0; i < ROTATIONS; i++) {
      if (!(await h.rotate(dbArn, timed('DATABASE_URL', invoker(db.handler)))).ok) failures++;
      const task = await h.openSession(h.sm.value(dbArn)!);
      h.ecs.completeDeployment();
      const t = performance.now();
      const r = await retirement.handler(deploymentEvent(h.ecs.serviceArn, 'SERVICE_DEPLOYMENT_COMPLETED', h.ecs.primary.id));
      (timings['retirement (COMPLETED event)'] ??= []).push(performance.now() - t);
      if (r.outcome !== 'retired') failures++;
      await task.end();
      if (!(await h.rotate(authArn, timed('AUTH_SECRET', invoker(auth.handler)))).ok) failures++;
    }
    leaks = h.leaks();
  } finally {
    await h.stop();
  }
  const lines = [`Rotation steps (in-process handlers, local doubles, embedded PostgreSQL via TCP proxy), median of ${ROTATIONS}:`];
  for (const [label, xs] of Object.entries(timings)) {
    lines.push(`  ${label.padEnd(32)} ${ms(median(xs)).padStart(10)}   (min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))})`);
  }
  lines.push(`  failed rotations/retirements: ${failures}; secret values found in captured output: ${leaks.length}`);
  return lines;
}

async function benchPostgres(): Promise<string[]> {
  const { PostgresServer, workerPostgres } = await import('../test/support/postgres-server');
  const shared = await workerPostgres();
  const t: Record<'own' | 'shared', number[]> = { own: [], shared: [] };
  for (let i = 0; i < PG_RUNS; i++) {
    let start = performance.now();
    const server = new PostgresServer();
    await server.start();
    const own = await server.master();
    await own.query('CREATE DATABASE bench');
    await own.end();
    await server.stop();
    t.own.push(performance.now() - start);
    start = performance.now();
    const master = await shared.master();
    await master.query(`CREATE DATABASE bench_${i}`);
    await master.query(`DROP DATABASE bench_${i} WITH (FORCE)`);
    await master.end();
    t.shared.push(performance.now() - start);
  }
  const base = median(t.own);
  const line = (label: string, xs: number[]) =>
    `  ${label.padEnd(60)} ${ms(median(xs)).padStart(10)} ${(median(xs) / base).toFixed(2).padStart(7)}x   (min ${ms(Math.min(...xs))})`;
  return [
    `PostgreSQL per test file (test/support/postgres-server.ts), interleaved, median of ${PG_RUNS}; x = ratio to a server of its own:`,
    line('a server of its own (initdb, start, CREATE DATABASE, stop)', t.own),
    line("its own database on the worker's server (CREATE, DROP)", t.shared),
  ];
}

async function main() {
  const args = process.argv.slice(2);
  const header = [`node ${process.version}, ${os.cpus().length} CPU(s), load average ${os.loadavg()[0].toFixed(1)}`, ''];
  if (args.includes('--only-postgres')) return console.log([...header, ...(await benchPostgres())].join('\n'));
  const synthLines = benchSynth();
  if (args.includes('--only-synth')) return console.log([...header, ...synthLines].join('\n'));
  const suiteLines = args.includes('--no-suite') ? [] : ['', ...benchSuite()];
  const bundleLines = await benchBundles();
  const stepLines = await benchSteps();
  const postgresLines = await benchPostgres();
  console.log([...header, ...synthLines, ...suiteLines, '', ...bundleLines, '', ...stepLines, '', ...postgresLines].join('\n'));
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});
