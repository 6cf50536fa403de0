import type { IndexDb } from "./index-db.js";
import type { Graph, GraphEdge, GraphNode } from "./types.js";

/**
 * Builds the link graph from the index: every note is a node (`id` = its path); every distinct link target that
 * resolves to nothing is a node with `unresolved: true`, `path: null`, `id` = the lower-cased target without
 * `.md` and `title` = the target as first written. Edges are distinct source→target pairs; links to attachments
 * (as in Obsidian's graph with attachments hidden, its default) and a note's links to itself are left out.
 */
export function buildGraph(index: IndexDb): Graph {
  const nodes: GraphNode[] = index.stmts.graphNotes.all().map((n) => ({ id: n.path, path: n.path, title: n.title, unresolved: false }));
  const unresolved = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const l of index.stmts.graphLinks.iterate()) {
    let target: string;
    if (l.resolved !== null) {
      if (l.resolved === l.source || !l.resolved.endsWith(".md")) continue;
      target = l.resolved;
    } else {
      const name = l.target.replace(/\.md$/i, "");
      target = name.toLowerCase();
      if (target === "") continue;
      if (!unresolved.has(target)) unresolved.set(target, { id: target, path: null, title: name, unresolved: true });
    }
    const key = `${l.source}\u0000${target}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push({ source: l.source, target });
  }
  for (const node of unresolved.values()) nodes.push(node);
  return { nodes, edges };
}
