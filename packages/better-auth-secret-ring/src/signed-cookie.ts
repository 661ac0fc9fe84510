/**
 * better-call's signed cookie value, as better-auth 1.7 writes and checks it (`setSignedCookie` / `getSignedCookie`):
 * `VALUE.SIGNATURE`, SIGNATURE the standard base64 (44 characters, padded) of HMAC-SHA256(secret, VALUE); the cookie
 * carries it URI-encoded.
 */
import { webcrypto } from 'node:crypto';

const subtle = webcrypto.subtle;
const encoder = new TextEncoder();
const keys = new Map<string, Promise<webcrypto.CryptoKey>>();

function hmacKey(secret: string): Promise<webcrypto.CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secret, key);
  }
  return key;
}

/** Splits a decoded cookie value as better-call does; undefined when it does not have the signed form. */
export function splitSigned(decoded: string): { value: string; signature: string } | undefined {
  const at = decoded.lastIndexOf('.');
  if (at < 1) return undefined;
  const signature = decoded.substring(at + 1);
  if (signature.length !== 44 || !signature.endsWith('=')) return undefined;
  return { value: decoded.substring(0, at), signature };
}

/** True when `signature` is the HMAC of `value` under `secret` (constant-time, by WebCrypto). */
export async function verifySigned(value: string, signature: string, secret: string): Promise<boolean> {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(signature), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  return subtle.verify('HMAC', await hmacKey(secret), bytes, encoder.encode(value));
}

/** `VALUE.SIGNATURE` under `secret`, decoded (the caller URI-encodes it for a header). */
export async function signValue(value: string, secret: string): Promise<string> {
  const signature = new Uint8Array(await subtle.sign('HMAC', await hmacKey(secret), encoder.encode(value)));
  return `${value}.${btoa(String.fromCharCode(...signature))}`;
}

/** The base64url (no padding) HMAC-SHA256 of `data`: the compact cookie cache's signature. */
export async function hmacBase64Url(data: string, secret: string): Promise<string> {
  const signature = Buffer.from(await subtle.sign('HMAC', await hmacKey(secret), encoder.encode(data)));
  return signature.toString('base64url');
}
