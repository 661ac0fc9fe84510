import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { checkPosthogProjectToken } from '../../runtime/issuers/posthog';
import { checkStripeKey } from '../../runtime/issuers/stripe';
import { fakeExternal } from '../support/external-fakes';

/** The HTTP checks' failure modes the rotation tests do not reach: a silent host and a redirect. */
let server: http.Server;
let origin = '';
let behaviour: 'hang' | 'redirect' = 'hang';
const sockets = new Set<import('node:net').Socket>();

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    if (behaviour === 'redirect') {
      res.writeHead(301, { location: 'https://eu.i.posthog.com/flags?v=2' });
      res.end();
    }
    // 'hang': never answers
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('a host that does not answer: the check fails after its timeout, naming the host', async () => {
  behaviour = 'hang';
  const key = fakeExternal.stripeSecret('live');
  const host = new URL(origin).host;
  const started = Date.now();
  const error = await checkStripeKey(key, 'live', origin, { restricted: false, timeoutMs: 300 }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(Date.now() - started).toBeLessThan(5000);
  expect(error?.message).toBe(
    `The Stripe API at ${host} could not be reached (no answer within 0.3 s); the check is retried with the rotation`,
  );
  expect(error?.message.includes(key)).toBe(false);
});

test('a redirect is reported, never followed with the credential', async () => {
  behaviour = 'redirect';
  const token = fakeExternal.posthogProject();
  const host = new URL(origin).host;
  await expect(checkPosthogProjectToken(token, origin, { timeoutMs: 2000 })).rejects.toThrow(
    `The PostHog API at ${host} answered a redirect (HTTP 301 to eu.i.posthog.com): set POSTHOG_API_HOST to the final origin`,
  );
  await expect(
    checkStripeKey(fakeExternal.stripeSecret('test'), 'test', `${origin}/`, { restricted: false, timeoutMs: 2000 }),
  ).rejects.toThrow(
    `The Stripe API at ${host} answered a redirect (HTTP 301 to eu.i.posthog.com): set STRIPE_API_BASE to the final origin`,
  );
});
