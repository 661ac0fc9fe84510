/**
 * Does the issuer accept the new value? Real HTTP calls (global fetch) with a timeout, one per check.
 * Pure apart from the network: origins, mode and timeout are parameters.
 *
 * Error messages name the host, the HTTP status and Stripe's error *type* (a fixed word such as
 * `authentication_error`), never the value and never the response text (Stripe's message quotes the key's last
 * characters; a proxy might echo more).
 */
import { type StripeMode } from '../../catalog/secrets';

export const DEFAULT_ISSUER_TIMEOUT_MS = 10_000;

/** What the check proved; `warning` when it could only prove part of it. */
export interface IssuerCheckResult {
  warning?: string;
}

/**
 * The issuer did not accept the value. `final` (see runtime/rotation-refusal.ts): the issuer answered and said no
 * (a rejected or wrong-mode key, a redirect to fix in the settings), which a retry would hear again; not final when it
 * could not be reached or answered with an error of its own (5xx, 429: "the check is retried with the rotation").
 */
export class IssuerCheckError extends Error {
  override readonly name = 'IssuerCheckError';
  readonly final: boolean;
  constructor(message: string, options: { retryable?: boolean } = {}) {
    super(message);
    this.final = !options.retryable;
  }
}

function hostOf(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}

/** fetch with a timeout; network problems become an IssuerCheckError naming the host and the problem. */
async function request(issuer: string, url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  const host = hostOf(url);
  try {
    // `manual`: a redirect is reported, never followed with the credential.
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const e = error as { name?: string; cause?: { code?: unknown; name?: unknown } };
    let problem: string;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') problem = `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
    else if (typeof e.cause?.code === 'string') problem = e.cause.code;
    else if (typeof e.cause?.name === 'string') problem = e.cause.name;
    else problem = e.name ?? 'network error';
    throw new IssuerCheckError(`${issuer} at ${host} could not be reached (${problem}); the check is retried with the rotation`, {
      retryable: true,
    });
  }
}

/** JSON body or undefined; never thrown, never echoed. */
async function jsonBody(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

function stripeErrorType(body: unknown): string | undefined {
  const type = (body as { error?: { type?: unknown } } | undefined)?.error?.type;
  return typeof type === 'string' && /^[a-z_]{1,64}$/.test(type) ? type : undefined;
}

function redirectProblem(issuer: string, host: string, response: Response, setting: string): string | undefined {
  if (response.status < 300 || response.status >= 400) return undefined;
  let to = '';
  try {
    const location = response.headers.get('location');
    if (location) to = ` to ${new URL(location, `https://${host}`).host}`;
  } catch {
    // an unparsable Location: report the redirect without it
  }
  return `${issuer} at ${host} answered a redirect (HTTP ${response.status}${to}): set ${setting} to the final origin`;
}

/**
 * Stripe secret or restricted key: `GET /v1/balance` (read-only). 200 with `livemode` equal to the mode: ok.
 * 403 from a restricted key: it authenticated but lacks the Balance read permission: accepted with a warning
 * (its mode was checked by its prefix only). Anything else fails.
 */
export async function checkStripeKey(
  key: string,
  mode: StripeMode,
  apiBase: string,
  options: { restricted: boolean; timeoutMs?: number },
): Promise<IssuerCheckResult> {
  const url = `${apiBase.replace(/\/+$/, '')}/v1/balance`;
  const host = hostOf(apiBase);
  const response = await request(
    'The Stripe API',
    url,
    { method: 'GET', headers: { Authorization: `Bearer ${key}` } },
    options.timeoutMs ?? DEFAULT_ISSUER_TIMEOUT_MS,
  );
  const redirect = redirectProblem('The Stripe API', host, response, 'STRIPE_API_BASE');
  if (redirect) throw new IssuerCheckError(redirect);
  const body = await jsonBody(response);
  const type = stripeErrorType(body);
  if (response.status === 200) {
    const livemode = (body as { livemode?: unknown } | undefined)?.livemode;
    if (typeof livemode !== 'boolean') {
      throw new IssuerCheckError(`Stripe at ${host} answered /v1/balance without a livemode field: not the Stripe API?`);
    }
    if (livemode !== (mode === 'live')) {
      throw new IssuerCheckError(
        livemode
          ? `Stripe says the staged key is a live-mode key, but this is a test environment (STRIPE_MODE=test)`
          : `Stripe says the staged key is a test-mode key, but this is a live environment (STRIPE_MODE=live): a test-mode key for a live environment is refused`,
      );
    }
    return {};
  }
  if (response.status === 401) {
    throw new IssuerCheckError(`Stripe rejected the key (HTTP 401${type ? ` ${type}` : ''}): it is wrong, expired or already revoked`);
  }
  if (response.status === 403 && options.restricted) {
    return {
      warning: `Stripe accepted the restricted key but it lacks the Balance read permission (HTTP 403${type ? ` ${type}` : ''}); its mode was checked by its prefix only`,
    };
  }
  if (response.status === 403) {
    throw new IssuerCheckError(
      `Stripe refused a secret key the Balance read (HTTP 403${type ? ` ${type}` : ''}): a full secret key always has it`,
    );
  }
  throw new IssuerCheckError(
    `Stripe at ${host} answered /v1/balance with HTTP ${response.status}${type ? ` ${type}` : ''}; the check is retried with the rotation`,
    { retryable: true },
  );
}

/** PostHog project token: `POST /flags?v=2` with `api_key`. 2xx: ok; 401: the token is invalid. */
export async function checkPosthogProjectToken(
  token: string,
  apiHost: string,
  options: { timeoutMs?: number } = {},
): Promise<IssuerCheckResult> {
  const url = `${apiHost.replace(/\/+$/, '')}/flags?v=2`;
  const host = hostOf(apiHost);
  const response = await request(
    'The PostHog API',
    url,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ api_key: token, distinct_id: 'fleapo-secrets-rotation-check' }),
    },
    options.timeoutMs ?? DEFAULT_ISSUER_TIMEOUT_MS,
  );
  const redirect = redirectProblem('The PostHog API', host, response, 'POSTHOG_API_HOST');
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
