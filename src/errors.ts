// The one way a caught value becomes text for a message: an Error's message, a string as it is,
// anything else (a non-Error throw) as JSON. Never the stack: messages reach comments and logs.
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : `unexpected failure: ${JSON.stringify(error) ?? String(error)}`;
}
