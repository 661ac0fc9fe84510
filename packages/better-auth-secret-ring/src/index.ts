export { authSecretRing, withAuthSecretRing, SECRET_RING_PLUGIN_ID } from './plugin';
export { authSecretRingFromEnv, parseAuthSecretRing, AUTH_SECRET_KEY_PATTERN, type AuthSecretRing } from './ring';
