import { Client, escapeIdentifier, escapeLiteral } from 'pg';

/*
 * Role administration statements, run as the master user. DDL cannot take bind parameters,
 * so identifiers go through escapeIdentifier and literals through escapeLiteral.
 */

export async function roleExists(client: Client, role: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  return (result.rowCount ?? 0) > 0;
}

/** Sessions of `role` other than our own, per pg_stat_activity. */
export async function sessionCount(client: Client, role: string): Promise<number> {
  const result = await client.query<{ n: string }>(
    'SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()',
    [role],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** CREATE ROLE ... LOGIN PASSWORD <verifier>, plus GRANT <memberOf> TO it, in one transaction. */
export async function createLoginRole(client: Client, role: string, verifier: string, memberOf: string | undefined): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`CREATE ROLE ${escapeIdentifier(role)} WITH LOGIN PASSWORD ${escapeLiteral(verifier)}`);
    if (memberOf !== undefined) await client.query(`GRANT ${escapeIdentifier(memberOf)} TO ${escapeIdentifier(role)}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** ALTER ROLE ... LOGIN PASSWORD <verifier> (also re-enables a retired role). */
export async function setLoginPassword(client: Client, role: string, verifier: string): Promise<void> {
  await client.query(`ALTER ROLE ${escapeIdentifier(role)} WITH LOGIN PASSWORD ${escapeLiteral(verifier)}`);
}

/**
 * Sessions of `role` act as `base` (`ALTER ROLE ... SET role`): what the clone creates is owned by the base role,
 * so the two alternating roles never split ownership of the app's objects. pg_stat_activity still shows the login.
 */
export async function actAsBaseRole(client: Client, role: string, base: string): Promise<void> {
  await client.query(`ALTER ROLE ${escapeIdentifier(role)} SET role TO ${escapeLiteral(base)}`);
}

/** Retire a role without dropping it (it may own objects): no login, no password. */
export async function retireRole(client: Client, role: string): Promise<void> {
  await client.query(`ALTER ROLE ${escapeIdentifier(role)} WITH NOLOGIN PASSWORD NULL`);
}

/** Ends every session of `role` but our own (pg_terminate_backend); how many were ended. */
export async function terminateSessions(client: Client, role: string): Promise<number> {
  const result = await client.query<{ ended: boolean }>(
    'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()',
    [role],
  );
  return result.rows.filter((r) => r.ended).length;
}
