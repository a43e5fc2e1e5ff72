// The one way a caught value becomes text for a message: an error's message, a string as it is,
// anything else (a non-Error throw) as JSON. Never the stack: messages reach comments and logs.
// Structural, not `instanceof Error`: errors from Node's own modules may come from another realm
// (jest's module sandbox), where instanceof answers false.
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') return error.message;
  return typeof error === 'string' ? error : `unexpected failure: ${JSON.stringify(error) ?? String(error)}`;
}

/** A system error's code (`ENOENT`, `ELOOP`), or undefined. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
