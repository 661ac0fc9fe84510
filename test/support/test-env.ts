/*
 * Import this FIRST in a test file: the Powertools logger reads its settings when the lambda
 * modules load. Debug level so every log line the code can write is searched for secrets.
 */
process.env.POWERTOOLS_SERVICE_NAME = 'fleapo-secrets-rotation-test';
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
delete process.env.POWERTOOLS_DEV;
export {};
