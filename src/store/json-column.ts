import { customType } from "drizzle-orm/sqlite-core";
import type { z } from "zod";
import { StorageError } from "../errors.js";

/**
 * A TEXT column holding JSON, typed by a zod schema (a protocol schema where the value is a wire shape): drizzle
 * writes `JSON.stringify(value)` (null stays SQL NULL, also through `sql.placeholder`) and reads it back parsed and
 * validated, so no raw row is cast to a shape. On disk it is the same TEXT column as a plain `text()` (no migration).
 * A stored value that is not JSON or does not match the schema (a hand-edited or corrupt database) gives `fallback`
 * when one is set, else throws {@link StorageError} naming the column.
 * @example attachments: json("attachments", z.array(Attachment), { fallback: [] })
 */
export function json<S extends z.ZodType>(name: string, schema: S, opts: { fallback?: z.output<S> | null } = {}) {
  const column = customType<{ data: z.output<S>; driverData: string | null }>({
    dataType: () => "text",
    toDriver: (value) => (value === null || value === undefined ? null : JSON.stringify(value)),
    fromDriver: (raw) => {
      let value: unknown;
      try {
        value = JSON.parse(raw as string);
      } catch {
        value = undefined;
      }
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      if ("fallback" in opts) return opts.fallback as z.output<S>;
      throw new StorageError(`the database column "${name}" holds a value agentd cannot read: ${(raw as string).slice(0, 80)}`);
    },
  });
  return column(name);
}
