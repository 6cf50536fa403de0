// Generates protocol/schema.json (JSON Schema 2020-12 of every frame, method and event) from the zod schemas.
// `node dist/scripts/gen-protocol.js --check` exits 1 when the committed file is stale (CI runs it).
import { join } from "node:path";
import { z } from "zod";
import { ClientFrame, ServerFrame } from "../protocol/frames.js";
import { ErrorCode, WireError } from "../protocol/errors.js";
import { methods } from "../protocol/methods.js";
import { events } from "../protocol/events.js";
import { PROTOCOL_VERSION, MIN_PROTOCOL_VERSION } from "../protocol/version.js";
import { PACKAGE_ROOT } from "../src/version.js";
import { writeOrCheck } from "./lib/write-or-check.js";

const json = (schema: z.ZodType, io: "input" | "output") => {
  const s = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as Record<string, unknown>;
  delete s.$schema;
  return s;
};

/** Builds the protocol's JSON Schema document. */
export function protocolSchema(): Record<string, unknown> {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "agentd protocol",
    description: "Frames, methods and events of the agentd WebSocket protocol. Generated from protocol/*.ts; do not edit.",
    protocolVersion: PROTOCOL_VERSION,
    minProtocolVersion: MIN_PROTOCOL_VERSION,
    frames: { client: json(ClientFrame, "input"), server: json(ServerFrame, "output") },
    errors: { codes: ErrorCode.options, error: json(WireError, "output") },
    methods: Object.fromEntries(
      Object.entries(methods).map(([name, spec]) => [name, { description: spec.description, sideEffect: spec.sideEffect ?? false, params: json(spec.params, "input"), result: json(spec.result, "output") }]),
    ),
    events: Object.fromEntries(Object.entries(events).map(([name, spec]) => [name, { description: spec.description, payload: json(spec.payload, "output") }])),
  };
}

const file = join(PACKAGE_ROOT, "protocol", "schema.json");
const text = `${JSON.stringify(protocolSchema(), null, 2)}\n`;
writeOrCheck(file, text, "npm run build && npm run protocol:gen");
