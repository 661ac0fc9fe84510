/**
 * npm run bench — measured side by side in one run:
 * 1. each handler's bundle (esbuild, NodejsFunction options) size and cold import time in a fresh
 *    `node` process (median of several runs, interleaved), against a baseline handler that only
 *    imports the same AWS SDK v3 clients, as ratios;
 * 2. the time of each rotation step (in-process handlers, local Secrets Manager/ECS doubles, real
 *    embedded PostgreSQL), median over several rotations, and of the role retirement.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ESBUILD_TARGET } from '../lib/node-version';
import { bundleAll, bundleHandler, PROJECT_ROOT } from '../test/support/bundle-handlers';

const IMPORT_RUNS = 9;
const ROTATIONS = 5;

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

async function main() {
  const bundleLines = await benchBundles();
  const stepLines = await benchSteps();
  console.log([`node ${process.version}, ${os.cpus().length} CPU(s)`, '', ...bundleLines, '', ...stepLines].join('\n'));
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});
