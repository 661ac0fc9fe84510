import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli } from '../../scripts/build-cli';
import type { RotationHarness } from '../support/rotation-harness';
import { mergePatch } from '../../lib/config/json-merge-patch';
import { teamEnvironment } from '../support/team-config';
import { EXTERNAL_SECRET_NAMES, SECRETS, type ExternalSecretKind, type ExternalSecretName } from '../../catalog/secrets';

export const ROOT = path.resolve(__dirname, '../..');

/**
 * The built `fleapo-secrets` (esbuild, as `npm run build:cli` builds it) in a directory of its own inside the
 * checkout, so that its external packages resolve from node_modules. Removed by `remove()`.
 */
export function buildTestCli(): { file: string; remove: () => void } {
  // dist/ exists after `npm ci` (prepare builds the CLI), but not in a checkout whose install skipped scripts.
  fs.mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, 'dist', '.test-'));
  const file = buildCli(path.join(dir, 'fleapo-secrets.js'));
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A team configuration file whose `staging` environment uses `prefix` and the ECS double's cluster and service. */
export function configFile(prefix: string, stripeMode: 'live' | 'test' = 'test'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleapo-cli-config-'));
  const file = path.join(dir, 'fleapo.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      environments: {
        prod: null,
        // A complete team configuration (every placeholder of the example given), in the example's account and region.
        staging: mergePatch(teamEnvironment('staging', '111111111111', 'us-east-1'), {
          secretPrefix: prefix,
          service: { clusterName: 'fleapo', serviceName: 'fleapo-api' },
          externalServices: { stripeMode },
        }),
      },
    }),
  );
  return file;
}

export interface CliRun {
  /** stdout + stderr so far. */
  output: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  argv: string[];
}

/**
 * Runs the built CLI with `args`, `stdin` piped in, in a child process; its argument list and output are kept for the
 * leak check (the argument list not when a test gives a key as an argument on purpose, `keyInArguments`).
 */
export function runCli(
  h: RotationHarness,
  cli: string,
  args: string[],
  stdin: string,
  env: Record<string, string> = {},
  options: { keyInArguments?: boolean } = {},
): CliRun {
  const argv = [cli, ...args];
  const child = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(stdin);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      h.capture.add(`${options.keyInArguments ? '' : argv.join(' ')}\n${stdout}\n${stderr}\n`); // searched by the leak check, never printed
      resolve({ code, stdout, stderr });
    });
  });
  return { output: () => stdout + stderr, done, argv };
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The issuer-created secret whose path suffix is `kind` (`stripe-secret-key` -> `STRIPE_SECRET_KEY`). */
export function nameOf(kind: ExternalSecretKind): ExternalSecretName {
  const name = EXTERNAL_SECRET_NAMES.find((n) => SECRETS[n].suffix === kind);
  if (name === undefined) throw new Error(`no issuer-created secret has the suffix ${kind}`);
  return name;
}

/**
 * Runs `fn` only when no other function wrapped by it is running. The external-secret functions run in the test's
 * process and read their secret and Stripe mode from process.env (in AWS each is a Lambda of its own): one step at a
 * time, each sees its own environment.
 */
let externalLock: Promise<unknown> = Promise.resolve();
export function oneAtATime<T extends unknown[]>(fn: (...a: T) => Promise<void>) {
  return (...a: T): Promise<void> => {
    const run = externalLock.then(() => fn(...a));
    externalLock = run.catch(() => undefined);
    return run;
  };
}

/** Sets `vars` in process.env around each call of a rotation handler (the function's configuration). */
export function withEnv<T extends unknown[]>(vars: Record<string, string | undefined>, fn: (...a: T) => Promise<void>) {
  return async (...a: T): Promise<void> => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await fn(...a);
  };
}
