import { z } from "zod";

/** Default size at which `logs/agentd.log` is rotated, in bytes (10 MiB). */
export const DEFAULT_LOG_MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Default number of log files kept, the current one included (so the folder stays under 5 × 10 MiB = 50 MiB). */
export const DEFAULT_LOG_MAX_FILES = 5;
/** Default number of scheduled backups kept in `backup.dir`. */
export const DEFAULT_BACKUP_KEEP = 7;
/** Default folder of scheduled backups, relative to the agent folder. */
export const DEFAULT_BACKUP_DIR = "backups";

/**
 * `logging:` of agentd.yaml. JSON lines go to `logs/agentd.N.log` (pino-roll), with `logs/agentd.log` a link to the
 * current file; a file is rotated at `maxFileBytes` (default {@link DEFAULT_LOG_MAX_FILE_BYTES}) and when
 * `rotateEvery` (`daily` by default, `hourly`, or `never`) starts a new period; only the newest `maxFiles` files,
 * the current one included (default {@link DEFAULT_LOG_MAX_FILES}), are kept, so the folder holds at most about
 * `maxFiles × maxFileBytes` (50 MiB by default).
 */
export const LoggingConfig = z.strictObject({
  level: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
  maxFileBytes: z.number().int().min(64 * 1024).default(DEFAULT_LOG_MAX_FILE_BYTES),
  maxFiles: z.number().int().min(2).max(1000).default(DEFAULT_LOG_MAX_FILES),
  rotateEvery: z.enum(["daily", "hourly", "never"]).default("daily"),
});
/** See {@link LoggingConfig}. */
export type LoggingConfig = z.infer<typeof LoggingConfig>;

/**
 * `backup:` of agentd.yaml: scheduled backups made by the running daemon (the same archive as `agentd backup`).
 * `intervalHours` 0 (the default) turns them off; `keep` (default {@link DEFAULT_BACKUP_KEEP}) is how many of the
 * newest scheduled archives stay in `dir` (default {@link DEFAULT_BACKUP_DIR}, relative to the agent folder; it is
 * never put into an archive itself); `includeSecrets` adds `.env` and the WhatsApp login (default false).
 */
export const BackupConfig = z.strictObject({
  intervalHours: z.number().min(0).max(24 * 365).default(0),
  keep: z.number().int().min(1).max(10_000).default(DEFAULT_BACKUP_KEEP),
  dir: z.string().min(1).default(DEFAULT_BACKUP_DIR),
  includeSecrets: z.boolean().default(false),
});
/** See {@link BackupConfig}. */
export type BackupConfig = z.infer<typeof BackupConfig>;

/**
 * `update:` of agentd.yaml. `package`: the npm package this install is updated from (e.g. `@acme/agentd`). The
 * npm name `agentd` belongs to an unrelated project, so without this key an update is offered only when the
 * registry's package names the same repository as the running build's package.json; otherwise updates are
 * reported unavailable and nothing is installed.
 */
export const UpdateConfig = z.strictObject({
  package: z.string().regex(/^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/, "an npm package name, e.g. @acme/agentd").optional(),
});
/** See {@link UpdateConfig}. */
export type UpdateConfig = z.infer<typeof UpdateConfig>;
