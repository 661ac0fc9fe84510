import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { HANDLER_BUNDLE_OPTIONS } from '../../lib/bundling/handler-code';
import { handlerEntry, HANDLERS, type HandlerName } from '../../catalog/handlers';
import { RUN_DIR_ENV } from './test-run';

export const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** The Lambda entry points, as the CDK side wires them (`handler` export of each): from the catalog. */
export const HANDLER_ENTRIES = Object.fromEntries(
  (Object.keys(HANDLERS) as HandlerName[]).map((name) => [name, handlerEntry(name)]),
) as Record<HandlerName, string>;
export type { HandlerName };

/** Bundles a handler exactly as the app does (lib/bundling/handler-code.ts: the same esbuild options). */
export async function bundleHandler(entry: string, outfile: string): Promise<number> {
  await build({ ...HANDLER_BUNDLE_OPTIONS, entryPoints: [path.join(PROJECT_ROOT, entry)], outfile, logLevel: 'silent' });
  return fs.statSync(outfile).size;
}

export async function bundleAll(outdir: string): Promise<Bundles> {
  const entries = await Promise.all(
    Object.entries(HANDLER_ENTRIES).map(async ([name, entry]) => {
      const file = path.join(outdir, `${name}.js`);
      return [name, { file, bytes: await bundleHandler(entry, file) }] as const;
    }),
  );
  return Object.fromEntries(entries) as Bundles;
}

export type Bundles = Record<HandlerName, { file: string; bytes: number }>;

/**
 * Every handler's bundle, built at most once per jest run (in the run's directory, test/support/test-run.ts) for the
 * test files that run them, which only read them: the first file that asks builds, the others find them. Two
 * workers that ask at the same moment both build and the last complete file wins (each is written under a name of
 * its own, then renamed). Outside a jest run, bundles into `outdir` (which the caller removes).
 */
export async function builtBundles(outdir: string): Promise<Bundles> {
  const runDir = process.env[RUN_DIR_ENV];
  if (!runDir) return bundleAll(outdir);
  const shared = path.join(runDir, 'bundles');
  const entries = await Promise.all(
    (Object.keys(HANDLER_ENTRIES) as HandlerName[]).map(async (name) => {
      const file = path.join(shared, `${name}.js`);
      if (!fs.existsSync(file)) {
        const building = path.join(shared, `${name}.${process.pid}.${randomBytes(4).toString('hex')}.js`);
        await bundleHandler(HANDLER_ENTRIES[name], building);
        fs.renameSync(building, file);
      }
      return [name, { file, bytes: fs.statSync(file).size }] as const;
    }),
  );
  return Object.fromEntries(entries) as Bundles;
}

const RUNNER = `
const [bundle, eventJson] = process.argv.slice(1); // node -e: no script path in argv
Promise.resolve()
  .then(() => require(bundle).handler(JSON.parse(eventJson), {}, () => undefined))
  .then((r) => { process.stdout.write('RESULT ' + JSON.stringify(r === undefined ? null : r) + '\\n'); },
        (e) => { process.stderr.write('ERROR ' + (e && e.message) + '\\n'); process.exitCode = 1; });
`;

/**
 * Runs a built bundle's handler in a fresh `node` process (like a Lambda cold start), with the
 * current env (doubles' endpoints) and the project's node_modules for the external AWS SDK.
 * Asynchronous: the doubles serve from this process's event loop.
 */
export function invokeBundle(file: string, event: unknown): Promise<{ ok: boolean; result: unknown; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', RUNNER, file, JSON.stringify(event)],
      { env: { ...process.env, NODE_PATH: path.join(PROJECT_ROOT, 'node_modules') }, timeout: 60000 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
        resolve({ ok: !error && line !== undefined, result: line ? JSON.parse(line.slice(7)) : undefined, output });
      },
    );
  });
}
