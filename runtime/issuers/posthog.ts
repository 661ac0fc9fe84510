/**
 * PostHog (runbook "POSTHOG_API_KEY"): the project token (`phc_`). Resetting it in PostHog invalidates the old token
 * at once, so nothing is left to revoke (no revoke notice). Facts: docs/aws-facts.md, "PostHog".
 */
import type { Catalog } from '../../catalog/secrets';
import {
  bodyProblem,
  hostOf,
  IssuerCheckError,
  issuerRequest,
  redirectProblem,
  type Issuer,
  type IssuerCheckResult,
  type IssuerEntries,
} from './issuer';

const POSTHOG_API_HOST = { env: 'POSTHOG_API_HOST', default: 'https://us.i.posthog.com', configKey: 'posthogApiHost' };
const POSTHOG_BODY = /^[0-9A-Za-z_-]+$/;

/** PostHog project token: `POST /flags?v=2` with `api_key`. 2xx: ok; 401: the token is invalid. */
export async function checkPosthogProjectToken(
  token: string,
  apiHost: string,
  options: { timeoutMs?: number } = {},
): Promise<IssuerCheckResult> {
  const url = `${apiHost.replace(/\/+$/, '')}/flags?v=2`;
  const host = hostOf(apiHost);
  const response = await issuerRequest(
    'The PostHog API',
    url,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ api_key: token, distinct_id: 'fleapo-secrets-rotation-check' }),
    },
    options.timeoutMs,
  );
  const redirect = redirectProblem('The PostHog API', host, response, POSTHOG_API_HOST.env);
  if (redirect) throw new IssuerCheckError(redirect);
  await response.body?.cancel().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return {};
  if (response.status === 401) {
    throw new IssuerCheckError(
      `PostHog at ${host} rejected the project token (HTTP 401): it is wrong, or belongs to another PostHog region or project`,
    );
  }
  throw new IssuerCheckError(`PostHog at ${host} answered /flags with HTTP ${response.status}; the check is retried with the rotation`, {
    retryable: true,
  });
}

export const posthog = {
  name: 'PostHog',
  prefixes: [
    { prefix: 'phc_', key: 'project', description: 'a PostHog project token' },
    { prefix: 'phx_', key: 'personal', description: 'a PostHog personal API key' },
    { prefix: 'phs_', key: 'project-secret', description: 'a PostHog project secret token' },
  ],
  valuePatterns: [{ id: 'posthog-key', description: 'a PostHog key or token (phc_/phx_/phs_)', pattern: /\bph[cxs]_[0-9A-Za-z]{10,}/ }],
  origin: POSTHOG_API_HOST,
  secrets: {
    POSTHOG_API_KEY: {
      formProblem: (value, { match, seen }) => {
        if (match?.issuer === 'posthog' && match.prefix.key === 'personal') {
          return `it is ${seen}: POSTHOG_API_KEY is the project token (phc_, Project settings), never a personal API key, which can read and change the whole organisation`;
        }
        if (match?.issuer !== 'posthog' || match.prefix.key !== 'project') {
          return `a PostHog project token (phc_) is expected, but it is ${seen}`;
        }
        return bodyProblem(value, match.prefix.prefix, POSTHOG_BODY, 'a PostHog project token');
      },
      liveCheck: (value, { origin, timeoutMs }) => checkPosthogProjectToken(value, origin, { timeoutMs }),
      checkedLog: 'PostHog accepted the project token',
      dashboard: 'https://us.posthog.com/settings/project#variables',
      operator: {
        formHint: 'phc_',
        rolledOut:
          'Rollout complete: the service now sends with the new PostHog project token. Nothing is left to revoke: resetting the project token in PostHog invalidated the old one at once (the audit log was dark from the reset until this rollout).',
        notComplete: (what, step) => `${what} (step ${step}): do NOT revoke anything yet; tasks may still run with the old PostHog token.`,
      },
    },
  },
} satisfies Issuer<IssuerEntries<Catalog, 'posthog'>>;
