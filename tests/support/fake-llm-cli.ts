/**
 * Runs the fake model server ({@link startFakeLlm}) as a child process for benchmarks:
 * `node dist/tests/support/fake-llm-cli.js [--port N] [--chunk-delay-ms N] [--chunk-jitter-ms N] [--no-record]`.
 * Answers every chat completion with the default echo turn (`You said: <last user message>`), with
 * `--chunk-delay-ms` milliseconds between SSE chunks (default 0), plus up to `--chunk-jitter-ms` more, at random (default 0). Prints one JSON line `{"url": "http://127.0.0.1:PORT/v1"}`
 * on stdout once listening (`--no-record`: requests are not kept in memory, for long soaks) and stays up until SIGTERM or SIGINT (then exits 0). Bad arguments: message on stderr, exit 2.
 */
import { defaultEchoTurn, startFakeLlm } from "./fake-llm.js";

function intFlag(args: string[], name: string): number | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`fake-llm: ${name} needs a non-negative integer\n`);
    process.exit(2);
  }
  return value;
}

const args = process.argv.slice(2);
const port = intFlag(args, "--port") ?? 0;
const chunkDelayMs = intFlag(args, "--chunk-delay-ms") ?? 0;
const chunkJitterMs = intFlag(args, "--chunk-jitter-ms") ?? 0;

const record = !args.includes("--no-record");
const llm = await startFakeLlm({ port, record, defaultTurn: (req) => ({ ...defaultEchoTurn(req), chunkDelayMs, chunkJitterMs }) });
process.stdout.write(`${JSON.stringify({ url: llm.url })}\n`);

const stop = (): void => {
  llm.close().then(() => process.exit(0), () => process.exit(1));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
