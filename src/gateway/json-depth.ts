/**
 * Deepest nesting of objects and arrays accepted in a JSON request body or WebSocket frame (issue 17, item 7):
 * agentd's own shapes nest a handful of levels (a config section, frontmatter), and code that walks a value
 * recursively (merge patches, YAML serialisation) would overflow the stack on a body nested thousands deep.
 * Deeper input gets `bad_request` before any handler sees it.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `value` (parsed JSON) nests objects/arrays deeper than `maxDepth` (`{}` and `[]` are depth 1, a
 * scalar 0). Walks iteratively with an explicit stack, so it cannot overflow itself, and stops at the first
 * path that is too deep.
 */
export function nestedDeeperThan(value: unknown, maxDepth: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<[object, number]> = [];
  if (value !== null && typeof value === "object") stack.push([value, 1]);
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > maxDepth) return true;
    for (const child of Object.values(node)) if (child !== null && typeof child === "object") stack.push([child as object, depth + 1]);
  }
  return false;
}
