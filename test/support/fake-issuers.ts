import * as http from 'node:http';
import type { ExternalSecretName } from '../../catalog/secrets';
import { fakeExternal } from './external-fakes';
import { LocalHttpServer } from './local-http-server';

export type StripeKeyBehaviour =
  /** 200 /v1/balance with this livemode. */
  | { livemode: boolean }
  /** 403: a restricted key without the Balance read permission. */
  | 'no-balance-permission'
  /** 503 until changed. */
  | 'unavailable';

export interface IssuerRequest {
  method: string;
  path: string;
  authorization?: string;
  body: string;
}

/**
 * Stripe `GET /v1/balance` and PostHog `POST /flags?v=2` on 127.0.0.1, over real HTTP. Unknown Stripe keys answer
 * 401 authentication_error and unknown PostHog tokens 401, each with an error message that QUOTES the credential in
 * full, so a check that echoed the response would leak it (the leak checks would see it).
 */
export class FakeIssuers extends LocalHttpServer {
  readonly stripeKeys = new Map<string, StripeKeyBehaviour>();
  readonly posthogTokens = new Set<string>();
  readonly requests: IssuerRequest[] = [];

  get host(): string {
    return new URL(this.origin).host;
  }

  /**
   * A new value of `name` these stand-ins accept for an environment of `mode` (a Stripe key of that mode, a PostHog
   * token; a webhook secret, which no issuer checks). The caller remembers it for the leak checks.
   */
  accepted(name: ExternalSecretName, mode: 'live' | 'test'): string {
    switch (name) {
      case 'STRIPE_SECRET_KEY': {
        const value = fakeExternal.stripeSecret(mode);
        this.stripeKeys.set(value, { livemode: mode === 'live' });
        return value;
      }
      case 'POSTHOG_API_KEY': {
        const value = fakeExternal.posthogProject();
        this.posthogTokens.add(value);
        return value;
      }
      case 'STRIPE_WEBHOOK_SECRET':
        return fakeExternal.webhookSecret();
    }
  }

  requestsTo(path: string): IssuerRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  protected respond(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const authorization = req.headers.authorization;
    this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorization, body });
    const send = (status: number, payload: unknown) => {
      const text = JSON.stringify(payload);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method === 'GET' && url.pathname === '/v1/balance') {
      const key = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
      const behaviour = this.stripeKeys.get(key);
      if (behaviour === undefined) {
        return send(401, { error: { type: 'authentication_error', message: `Invalid API Key provided: ${key}` } });
      }
      if (behaviour === 'unavailable') return send(503, { error: { type: 'api_error', message: 'try again later' } });
      if (behaviour === 'no-balance-permission') {
        return send(403, {
          error: {
            type: 'invalid_request_error',
            message: `The provided key '${key}' does not have the required permissions for this endpoint`,
          },
        });
      }
      return send(200, { object: 'balance', livemode: behaviour.livemode, available: [], pending: [] });
    }
    if (req.method === 'POST' && url.pathname === '/flags') {
      let token = '';
      try {
        token = String((JSON.parse(body) as { api_key?: unknown }).api_key ?? '');
      } catch {
        return send(400, { type: 'validation_error', detail: 'Malformed request' });
      }
      if (!this.posthogTokens.has(token)) {
        return send(401, { type: 'authentication_error', code: 'invalid_api_key', detail: `Project API key invalid: ${token}` });
      }
      return send(200, { flags: {}, errorsWhileComputingFlags: false, requestId: 'req-1' });
    }
    send(404, { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } });
  }
}
