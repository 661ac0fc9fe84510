/** The RDS master secret: JSON with at least username and password (host/port may be absent). */
export interface MasterCredentials {
  username: string;
  password: string;
}

export function parseMasterCredentials(value: string, secretId: string): MasterCredentials {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new Error(`Master secret ${secretId}: AWSCURRENT is not JSON`);
  }
  const j = (json ?? {}) as Record<string, unknown>;
  if (typeof j.username !== 'string' || j.username === '' || typeof j.password !== 'string' || j.password === '') {
    throw new Error(`Master secret ${secretId}: AWSCURRENT lacks username or password`);
  }
  return { username: j.username, password: j.password };
}
