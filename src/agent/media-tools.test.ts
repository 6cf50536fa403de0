import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeLlm, type FakeLlm } from "../../tests/support/fake-llm.js";
import { agentFixture } from "./test-support.js";
import { mediaTools } from "./media-tools.js";

let llm: FakeLlm;
let fx: ReturnType<typeof agentFixture>;
beforeAll(async () => {
  llm = await startFakeLlm();
  fx = agentFixture(llm.url, (c) => {
    c.models.eyes = { provider: c.models.main.provider, model: "gpt-4o" };
    c.uploads = { visionModel: "eyes" };
  });
  mkdirSync(join(fx.dir, "uploads"));
  writeFileSync(join(fx.dir, "uploads", "20261127-100000-abcdef-shot.png"), await sharp({ create: { width: 64, height: 64, channels: 3, background: "#00f" } }).png().toBuffer());
  writeFileSync(join(fx.dir, "uploads", "20261127-100000-abcdef-data.csv"), "a,b\n1,2\n");
  writeFileSync(join(fx.dir, "uploads", "20261127-100000-abcdef-blob.bin"), Buffer.from([0, 159, 146, 150]));
});
afterAll(async () => {
  fx.cleanup();
  await llm.close();
});

const ctx = () => ({ signal: new AbortController().signal, sessionId: "s", runId: "r", logger: fx.logger });
const tool = (name: string) => mediaTools({ ...fx, price: () => 0 })().find((t) => t.name === name)!;

describe("media tools", () => {
  it("describe_image asks the configured vision model with the image as a data URL", async () => {
    llm.onRequest(() => ({ text: "a blue square" }));
    expect(await tool("describe_image").run({ path: "uploads/20261127-100000-abcdef-shot.png" }, ctx())).toBe("a blue square");
    const body = llm.requests.at(-1)!.body;
    expect(body.model).toBe("gpt-4o");
    expect(body.messages[0].content[1].image_url.url).toMatch(/^data:image\/png;base64,/);
  });

  it("attachment_read reads text, names a binary file, and refuses paths outside uploads/", async () => {
    expect(await tool("attachment_read").run({ path: "uploads/20261127-100000-abcdef-data.csv" }, ctx())).toBe("a,b\n1,2\n");
    expect(await tool("attachment_read").run({ path: "uploads/20261127-100000-abcdef-blob.bin" }, ctx())).toBe("blob.bin: binary (application/octet-stream, 4 B); first bytes: 009f9296");
    await expect(tool("attachment_read").run({ path: "uploads/../agentd.db" }, ctx())).rejects.toThrow(/not a file under uploads/);
  });
});
