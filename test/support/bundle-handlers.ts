import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { HANDLER_BUNDLE_OPTIONS } from '../../lib/bundling/handler-code';
import { handlerEntry, HANDLERS, type HandlerName } from '../../catalog/handlers';

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

export async function bundleAll(outdir: string): Promise<Record<HandlerName, { file: string; bytes: number }>> {
  const entries = await Promise.all(
    Object.entries(HANDLER_ENTRIES).map(async ([name, entry]) => {
      const file = path.join(outdir, `${name}.js`);
      return [name, { file, bytes: await bundleHandler(entry, file) }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<HandlerName, { file: string; bytes: number }>;
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
