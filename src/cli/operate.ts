import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { AgentdError } from "../errors.js";

const usage = (text: string) => new AgentdError("bad_request", `usage: ${text}`);

/** Prints a byte count as `12.3 MB`. */
const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;

/**
 * The operating commands, each with its own options: `doctor`, `backup`, `restore`, `service`, `logs` (see the
 * CLI usage text). Returns the exit code. Throws `bad_request` (exit 64) for a wrong usage.
 */
export async function operateCommand(command: string, args: string[]): Promise<number> {
  // `agentd logs DIR | head`: a reader that went away ends the command quietly
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  switch (command) {
    case "doctor": {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean" }, paid: { type: "boolean" } } });
      if (positionals.length !== 1) throw usage("agentd doctor DIR [--json] [--paid]");
      const { doctorCommand } = await import("./doctor.js");
      return doctorCommand(positionals[0]!, { json: values.json === true, paid: values.paid === true });
    }
    case "backup": {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: "string", short: "o" }, "include-secrets": { type: "boolean" }, json: { type: "boolean" } } });
      if (positionals.length !== 1) throw usage("agentd backup DIR [--out FILE] [--include-secrets]");
      const dir = resolve(positionals[0]!);
      const { backupFileName, createBackup } = await import("../backup/archive.js");
      const { basename } = await import("node:path");
      const { statSync } = await import("node:fs");
      // --out may name a file or a folder to put the default name into
      const outDir = values.out && statSync(values.out, { throwIfNoEntry: false })?.isDirectory() ? resolve(values.out) : undefined;
      const out = values.out && !outDir ? resolve(values.out) : join(outDir ?? process.cwd(), backupFileName(basename(dir)));
      const r = await createBackup(dir, { outFile: out, includeSecrets: values["include-secrets"] === true });
      if (values.json) process.stdout.write(`${JSON.stringify({ file: r.file, bytes: r.bytes, manifest: r.manifest })}\n`);
      else {
        const db = r.manifest.database;
        process.stdout.write(`${r.file}  ${mb(r.bytes)}, ${r.manifest.files.length} files${db ? `, ${db.sessions} sessions, ${db.messages} messages` : ""}${r.manifest.includesSecrets ? ", with secrets (.env)" : ", without secrets (.env: --include-secrets)"}\n`);
      }
      return 0;
    }
    case "restore": {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { force: { type: "boolean" } } });
      if (positionals.length !== 2) throw usage("agentd restore FILE DIR [--force]");
      const { restoreBackup } = await import("../backup/restore.js");
      const r = await restoreBackup(positionals[0]!, positionals[1]!, { force: values.force === true });
      const db = r.manifest.database;
      process.stdout.write(`restored ${r.manifest.agent} (backup of ${r.manifest.createdAt}, agentd ${r.manifest.agentdVersion}) into ${r.dir}${db ? `: ${db.sessions} sessions, ${db.messages} messages` : ""}\n`);
      if (r.movedAsideTo) process.stdout.write(`the files it replaced are in ${r.movedAsideTo}\n`);
      if (!r.manifest.includesSecrets) process.stdout.write(`the backup holds no secrets: put your keys and AGENTD_TOKEN into ${join(r.dir, ".env")} (on 127.0.0.1 agentd start writes a new token)\n`);
      process.stdout.write(`start it with: agentd start ${positionals[1]}\n`);
      return 0;
    }
    case "service": {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean" } } });
      const [action, dir] = positionals;
      if (!dir || !["install", "uninstall", "status"].includes(action ?? "")) throw usage("agentd service install|uninstall|status DIR");
      const svc = await import("../service/service.js");
      if (action === "install") {
        const r = svc.installService(dir);
        process.stdout.write(values.json ? `${JSON.stringify(r)}\n` : `${r.manager} service ${r.name}: ${r.file}\n${r.started ? "started" : "not started"}: ${r.note}\n`);
        return r.started || r.note.startsWith("no systemd") ? 0 : 1;
      }
      if (action === "uninstall") {
        const r = svc.uninstallService(dir);
        process.stdout.write(values.json ? `${JSON.stringify(r)}\n` : r.removed ? `removed ${r.location.file}\n` : `no service installed for ${resolve(dir)} (${r.location.file})\n`);
        return 0;
      }
      const r = svc.serviceStatus(dir);
      process.stdout.write(values.json ? `${JSON.stringify(r)}\n` : `${r.location.manager} service ${r.location.name}: ${r.installed ? `installed (${r.location.file}), ${r.active}` : "not installed"}\n`);
      return r.installed ? 0 : 3;
    }
    case "logs": {
      const { values, positionals } = parseArgs({
        args, allowPositionals: true,
        options: { follow: { type: "boolean", short: "f" }, level: { type: "string" }, since: { type: "string" }, json: { type: "boolean" } },
      });
      if (positionals.length !== 1) throw usage("agentd logs DIR [-f] [--level warn] [--since 1h] [--json]");
      const { logsCommand } = await import("./logs.js");
      return logsCommand(positionals[0]!, {
        follow: values.follow === true, json: values.json === true,
        ...(values.level ? { level: values.level } : {}), ...(values.since ? { since: values.since } : {}),
      });
    }
    default:
      throw usage("agentd doctor|backup|restore|service|logs …");
  }
}
