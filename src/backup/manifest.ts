import { z } from "zod";

/** The name of the manifest inside every backup archive. */
export const MANIFEST_FILE = "manifest.json";
/** Version of the archive layout this agentd writes and reads. */
export const BACKUP_FORMAT_VERSION = 1;

/** One file of a backup: its path inside the archive (`/`-separated), size in bytes and SHA-256 (hex). */
export const BackupFile = z.strictObject({ path: z.string(), bytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

/**
 * `manifest.json` of a backup archive: what made it (`agentdVersion`), when (`createdAt`, ISO 8601), which agent,
 * whether `.env` and the WhatsApp login are inside (`includesSecrets`), the database's applied migrations and row
 * counts at the moment of the snapshot, and every file with its checksum (checked by `agentd restore`).
 */
export const BackupManifest = z.strictObject({
  format: z.literal("agentd-backup"),
  formatVersion: z.number().int(),
  agentdVersion: z.string(),
  createdAt: z.string(),
  agent: z.string(),
  includesSecrets: z.boolean(),
  database: z.strictObject({
    file: z.string(),
    migrations: z.number().int().min(0),
    sessions: z.number().int().min(0),
    messages: z.number().int().min(0),
  }).optional(),
  files: z.array(BackupFile),
});
/** See {@link BackupManifest}. */
export type BackupManifest = z.infer<typeof BackupManifest>;
