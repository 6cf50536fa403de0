import { join } from "node:path";
import type { FeatureFactory } from "../feature.js";
import { Vault } from "./vault.js";
import { vaultTools } from "./tools.js";

/**
 * The vault feature: `DIR/vault/` indexed into `DIR/vault-index.db` (a derived cache) in the background after
 * the port opens, watched for outside edits, served by the `vault.*` protocol methods (over WebSocket, and REST by their mapping), and given to
 * the agent as the `vault_*` tools.
 */
export const vaultFeature: FeatureFactory = (ctx) => {
  const vault = new Vault({ dir: join(ctx.dir, "vault"), indexDbPath: join(ctx.dir, "vault-index.db"), logger: ctx.logger });
  const tools = vaultTools(vault);
  /** The answer to a write, once search and backlinks see it (issue 17 item 8). */
  const settled = async <T>(out: T): Promise<T> => {
    await vault.settled();
    return out;
  };
  return {
    name: "vault",
    tools: () => tools,
    handlers: (registry) => {
      registry
        .on("vault.list", (p) => vault.list(p))
        .on("vault.read", (p) => vault.read(p.path))
        .on("vault.write", ({ path, ifMatch, ...change }) => settled(vault.write(path, change, { ifMatch })))
        .on("vault.delete", (p) => settled(vault.delete(p.path, { ifMatch: p.ifMatch })))
        .on("vault.graph", () => vault.graph())
        .on("vault.search", (p) => vault.search(p));
    },
    start: () => vault.start(),
    stop: () => vault.stop(),
  };
};
