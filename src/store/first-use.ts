/** The values of a record of builders: `{ k: () => V }` → `{ readonly k: V }`. */
export type Built<T extends Record<string, () => unknown>> = { readonly [K in keyof T]: ReturnType<T[K]> };

/**
 * A record whose values are built on first read, each on its own, and kept: `builders.k()` runs the first time
 * `.k` is read, never before and never again. What the store's prepared statements use, so a daemon start pays
 * only for the queries it runs before it listens (building a drizzle query and preparing its SQLite statement is
 * cold code at start: ~25 ms for the ~45 statements, most of which the first request never needs). An error of a
 * builder is thrown to the reader and the next read tries again.
 */
export function builtOnFirstUse<T extends Record<string, () => unknown>>(builders: T): Built<T> {
  const out = {} as Record<string, unknown>;
  for (const [key, build] of Object.entries(builders)) {
    Object.defineProperty(out, key, {
      configurable: true,
      enumerable: true,
      get() {
        const value = build();
        Object.defineProperty(out, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return out as Built<T>;
}
