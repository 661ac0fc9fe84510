/**
 * The Lambda handlers: each one's entry file under `lambda/` (it exports `handler`). The CDK side bundles a function
 * from its {@link HandlerName}; the tests bundle the same files.
 */
export const HANDLERS = {
  'auth-secret-rotation': 'auth-secret-rotation.ts',
  'database-url-rotation': 'database-url-rotation.ts',
  'database-role-retirement': 'database-role-retirement.ts',
  'external-secret-rotation': 'external-secret-rotation.ts',
  'stripe-revoke-notice': 'stripe-revoke-notice.ts',
} as const;

export type HandlerName = keyof typeof HANDLERS;

/** The folder the entry files are in, relative to the repository's root. */
export const HANDLER_DIR = 'lambda';

/** A handler's entry file relative to the repository's root, e.g. `lambda/auth-secret-rotation.ts`. */
export function handlerEntry(name: HandlerName): string {
  return `${HANDLER_DIR}/${HANDLERS[name]}`;
}
