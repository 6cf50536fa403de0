/** The vault: Obsidian-compatible markdown notes, indexed (SQLite FTS5), searchable and watched (issue 4). */
export { Vault, type VaultOptions } from "./vault.js";
export { etagOf } from "./note-file.js";
export { vaultTools } from "./tools.js";
export { normalizeRelPath, resolveInVault, isHiddenRel } from "./paths.js";
export { parseNote, type ParsedNote } from "./parse.js";
export { LinkResolver } from "./resolve.js";
export { toFtsQuery, SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX } from "./search.js";
export { MAX_NOTE_BYTES } from "./write.js";
export type { IndexerStats } from "./note-store.js";
export type * from "./types.js";
