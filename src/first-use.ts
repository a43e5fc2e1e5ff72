// The one way to make something on first use (a module imported, a client made): made once and
// shared by every caller, and made again by the next call after a failure, so that one failed
// attempt does not stand for every later one.
export function firstUse<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () =>
    (made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    }));
}
