import { z } from "zod";

/** The schema inside defaults, optionals, nullables and pipes (what a value at that place is checked against). */
function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodPrefault) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else return s;
  }
}

/** The schemas a value one step down (`key`) may be checked against: a field, a record's values, an array's items. */
function childrenAt(schema: z.ZodType, key: string): z.ZodType[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) return key in s.shape ? [s.shape[key] as z.ZodType] : [];
  if (s instanceof z.ZodRecord) return [s.valueType as z.ZodType];
  if (s instanceof z.ZodArray) return [s.element as z.ZodType];
  if (s instanceof z.ZodUnion) return (s.options as z.ZodType[]).flatMap((o) => childrenAt(o, key));
  return [];
}

/**
 * The keys an object at `path` (key path of a value checked by `schema`) may have: its fields, or those of every
 * object of a union there (an MCP server is stdio or HTTP). Empty when `path` leads to no object. Used to say
 * "did you mean …" for an unknown key.
 */
export function knownKeysAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let nodes = [schema];
  for (const key of path) nodes = nodes.flatMap((n) => childrenAt(n, String(key)));
  const keys = new Set<string>();
  const collect = (n: z.ZodType): void => {
    const s = unwrap(n);
    if (s instanceof z.ZodObject) for (const k of Object.keys(s.shape)) keys.add(k);
    else if (s instanceof z.ZodUnion) for (const o of s.options as z.ZodType[]) collect(o);
  };
  nodes.forEach(collect);
  return [...keys];
}
