/**
 * Layer rules of agentd (DESIGN.md §2), checked in CI by `npm run lint:deps` (dependency-cruiser).
 * protocol/ is the wire contract and imports nothing of ours; bridges and the web app are clients (protocol only);
 * src/gateway is the only place that knows HTTP and WebSocket; src/store the only place that holds SQL; feature
 * folders never import the gateway, the CLI or the daemon's wiring; no import cycles between modules or folders.
 */
const FEATURES = "^src/(?!gateway/|cli/|daemon\\.ts|features\\.ts)";
module.exports = {
  forbidden: [
    { name: "no-module-cycles", severity: "error", comment: "modules import each other in a circle", from: {}, to: { circular: true } },
    { name: "no-folder-cycles", severity: "error", scope: "folder", comment: "folders of src/ import each other in a circle: move the shared type to a neutral module", from: { path: "^src/" }, to: { circular: true } },
    { name: "protocol-is-the-contract", severity: "error", comment: "protocol/ is shared by daemon, bridges and web app: it imports nothing of theirs", from: { path: "^protocol/" }, to: { path: "^(src|bridges|web)/" } },
    { name: "clients-speak-protocol", severity: "error", comment: "bridges and the web app reach the daemon through protocol/ only", from: { path: "^(bridges|web)/" }, to: { path: "^src/" } },
    { name: "features-do-not-know-the-gateway", severity: "error", comment: "HTTP and WebSocket concerns live in src/gateway; features provide handlers", from: { path: FEATURES }, to: { path: "^src/(gateway|cli)/|^src/daemon\\.ts$" } },
    { name: "http-only-in-gateway", severity: "error", comment: "only src/gateway knows HTTP and WebSocket", from: { path: "^src/(?!gateway/)" }, to: { path: "node_modules/(hono|@hono|ws)/" } },
    // The one exception: the vault's search index (DIR/vault-index.db) is a derived cache of the markdown
    // files, rebuilt from them at any time, with its own SQLite file, schema and FTS5 queries; it is not the
    // daemon's store (agentd.db). Its three SQL modules are named here, not the folder, so nothing else in
    // src/vault holds SQL: the note store and the reconcile jobs go through IndexDb's methods.
    { name: "sql-only-in-store", severity: "error", comment: "only src/store holds SQL", from: { path: "^src/(?!store/)", pathNot: "^src/vault/(index-db|index-status|search)\\.ts$" }, to: { path: "node_modules/(better-sqlite3|drizzle-orm)/" } },
  ],
  options: {
    parser: "swc",
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.ts$|/test-support\\.ts$|/test-fixtures/" },
    includeOnly: "^(src|protocol|bridges|web/src)/|node_modules/(hono|@hono|ws|better-sqlite3|drizzle-orm)/",
  },
};
