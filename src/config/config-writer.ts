import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { YAMLParseError, type Scalar } from "yaml";
import { ConfigError, ConflictError, StorageError } from "../errors.js";
import type { ConfigStore } from "./config-store.js";
import { CONFIG_FILE, loadDotenv, parseConfig } from "./load.js";
import type { Config } from "./schema.js";
import { rewriteYaml } from "./yaml-merge.js";
import { envNameFor, setDotenvVars } from "./dotenv-write.js";

/** What a config write or reload did: the config now in force and the top-level keys that changed. */
export interface ConfigWriteResult {
  config: Config;
  /** Top-level keys whose value changed. */
  changed: string[];
  /** Those of `changed` that only apply after a restart (see `LIVE_SECTIONS` in config-store.ts). */
  restartRequired: string[];
}

/** Options of {@link ConfigWriter}. `env` (default `process.env`) expands `${VAR}` and receives new secrets. */
export interface ConfigWriterOptions {
  dir: string;
  store: ConfigStore;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$/;

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Writes `text` to a temp file beside `file`, fsyncs it and renames it over `file` (atomic on POSIX). */
function writeAtomic(file: string, text: string, defaultMode: number): void {
  let mode = defaultMode;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    /* new file */
  }
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const fd = openSync(tmp, "w", mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new StorageError(`could not write ${file}: ${(err as NodeJS.ErrnoException).code ?? "I/O error"}`, err);
  }
}

/**
 * Reads and writes the agent's agentd.yaml for the REST API and the file watcher (issue 5). A write edits the
 * YAML through the `yaml` document API (see `rewriteYaml`: comments, key order and `${ENV}` references of
 * unchanged values survive), validates the whole result with `parseConfig` before touching the disk, writes atomically (temp
 * file + rename), then hands the new config to the {@link ConfigStore}, whose listeners apply it live.
 * A secret that changes is stored in `.env` and referenced from the YAML as `${NAME}` (the variable it already
 * referenced, else one named after its key path, see `envNameFor`), so secrets never land in agentd.yaml.
 */
export class ConfigWriter {
  /** Absolute path of agentd.yaml. */
  readonly file: string;
  private readonly env: NodeJS.ProcessEnv;
  private lastText: string | undefined;

  constructor(private readonly opts: ConfigWriterOptions) {
    this.file = join(opts.dir, CONFIG_FILE);
    this.env = opts.env ?? process.env;
  }

  /** Remembers the file's current text as the one in force (so the watcher ignores it). Call once at start. */
  prime(): void {
    this.lastText = readText(this.file);
  }

  /**
   * Makes agentd.yaml describe `next`, a whole config as plain JSON (real secrets, not masks; keys left out
   * fall back to their defaults). Throws {@link ConfigError} (`bad_request`, `details.path` = key path) when the
   * result is invalid and {@link ConflictError} when the file on disk has a YAML syntax error; the files are
   * untouched then. {@link StorageError} when the disk refuses the write.
   */
  write(next: Record<string, unknown>): ConfigWriteResult {
    const draft = this.draft(next);
    if (!draft) return { config: this.opts.store.get(), changed: [], restartRequired: [] };
    const { text, config, envUpdates } = draft;
    if (Object.keys(envUpdates).length > 0) {
      const envFile = join(this.opts.dir, ".env");
      writeAtomic(envFile, setDotenvVars(readText(envFile) ?? "", envUpdates), 0o600);
      Object.assign(this.env, envUpdates);
    }
    writeAtomic(this.file, text, 0o644);
    this.lastText = text;
    const r = this.opts.store.replace(config);
    this.opts.logger.info({ changed: r.changed, restartRequired: r.restartRequired }, "config updated through the API");
    return { config, ...r };
  }

  /**
   * The config {@link write} would put in force for `next`, without writing anything (so callers can check what
   * cannot be checked by the schema, e.g. that the server can listen, before the write). Throws as `write` does.
   */
  preview(next: Record<string, unknown>): Config {
    return this.draft(next)?.config ?? this.opts.store.get();
  }

  /** The new file text, its validated config and the secrets for `.env`; undefined when nothing would change. */
  private draft(next: Record<string, unknown>): { text: string; config: Config; envUpdates: Record<string, string> } | undefined {
    this.reload();
    const base = this.opts.store.get();
    const before = readText(this.file) ?? "";
    const envUpdates: Record<string, string> = {};
    const merge = { secret: (path: string[], value: string, current: Scalar | undefined) => this.secretRef(path, value, current, envUpdates) };
    let text: string;
    try {
      text = rewriteYaml(before, base, next, merge);
    } catch (err) {
      if (!(err instanceof YAMLParseError)) throw err;
      const line = err.linePos?.[0]?.line;
      throw new ConflictError(`${CONFIG_FILE} has a YAML syntax error${line ? ` at line ${line}` : ""}; fix the file by hand first`, { file: this.file });
    }
    if (text === before && Object.keys(envUpdates).length === 0) return undefined;
    return { text, config: parseConfig(text, this.file, { ...this.env, ...envUpdates }), envUpdates };
  }

  /**
   * Re-reads agentd.yaml when its text differs from the one in force (an edit by hand): a valid file replaces
   * the config (listeners apply it); an invalid one is logged as a warning with the key path and ignored, the
   * old config stays. Returns what changed, or undefined when nothing was applied.
   */
  reload(): ConfigWriteResult | undefined {
    const text = readText(this.file);
    if (text === undefined || text === this.lastText) return undefined;
    this.lastText = text;
    let config: Config;
    try {
      loadDotenv(this.opts.dir, this.env);
      config = parseConfig(text, this.file, this.env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.opts.logger.warn({ path: err.keyPath, reason: err.reason }, `${CONFIG_FILE} was edited but is invalid at ${err.keyPath || "(root)"}: ${err.reason}; keeping the config in force`);
      return undefined;
    }
    const r = this.opts.store.replace(config);
    if (r.changed.length > 0) {
      const note = r.restartRequired.length > 0 ? `; restart to apply ${r.restartRequired.join(", ")}` : "";
      this.opts.logger.info({ changed: r.changed, restartRequired: r.restartRequired }, `${CONFIG_FILE} reloaded: ${r.changed.join(", ")} changed${note}`);
    }
    return { config, ...r };
  }

  /** Where a changed secret goes: into `.env` (collected in `updates`); returns the `${NAME}` text for the YAML. */
  private secretRef(path: string[], value: string, current: Scalar | undefined, updates: Record<string, string>): string {
    if (value === "" || value.includes("${")) return value;
    let name = typeof current?.value === "string" ? ENV_REF.exec(current.value)?.[1] : undefined;
    if (!name) {
      const stem = envNameFor(path);
      name = stem;
      const taken = (n: string) => (updates[n] !== undefined && updates[n] !== value) || (!!this.env[n] && this.env[n] !== value);
      for (let i = 2; taken(name); i++) name = `${stem}_${i}`;
    }
    updates[name] = value;
    return `\${${name}}`;
  }
}
