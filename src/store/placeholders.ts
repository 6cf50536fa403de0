import { getTableColumns, sql, type Placeholder } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/** `sql.placeholder`: a named parameter of a prepared drizzle query, bound when it runs. */
export const p = sql.placeholder;

/**
 * A placeholder named after each column of `table` except those in `omit`: the values of an INSERT prepared once
 * and run with a row object (every named column must be present; null binds NULL, JSON columns are encoded).
 */
export function placeholders<T extends SQLiteTable>(table: T, omit: string[] = []): { [K in keyof T["$inferInsert"]]-?: Placeholder } {
  return Object.fromEntries(Object.keys(getTableColumns(table)).filter((k) => !omit.includes(k)).map((k) => [k, p(k)])) as { [K in keyof T["$inferInsert"]]-?: Placeholder };
}

/**
 * A placeholder as an `update().set()` value: drizzle binds it through the column's encoder at run time (a `Param`
 * of the column, as in an insert), but its types only admit values there.
 */
export const setTo = <T>(name: string): T => p(name) as unknown as T;
