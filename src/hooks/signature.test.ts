import { describe, expect, it } from "vitest";
import { signBody, verifySignature } from "./signature.js";
import { renderHookPrompt } from "./template.js";

describe("GitHub webhook signatures", () => {
  // GitHub's documented test values: https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
  const secret = "It's a Secret to Everybody";
  const body = new TextEncoder().encode("Hello, World!");
  const expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

  it("signs exactly as GitHub does", () => {
    expect(signBody(secret, body)).toBe(expected);
    expect(verifySignature(secret, body, expected)).toBe(true);
    expect(verifySignature(secret, body, expected.toUpperCase().replace("SHA256", "sha256"))).toBe(true);
  });

  it("refuses a wrong, missing, truncated or differently-prefixed signature, or a changed body", () => {
    expect(verifySignature(secret, new TextEncoder().encode("Hello, World?"), expected)).toBe(false);
    expect(verifySignature("another secret", body, expected)).toBe(false);
    expect(verifySignature(secret, body, undefined)).toBe(false);
    expect(verifySignature(secret, body, expected.slice(0, -2))).toBe(false);
    expect(verifySignature(secret, body, expected.replace("sha256=", "sha1="))).toBe(false);
  });
});

describe("renderHookPrompt", () => {
  const body = { action: "completed", repository: { full_name: "me/app" }, workflow_run: { conclusion: "failure" } };
  it("fills body paths and headers, leaves missing values empty", () => {
    expect(renderHookPrompt("{{headers.x-github-event}}: {{ body.repository.full_name }} {{body.workflow_run.conclusion}}{{body.nope.deeper}}", body, { "x-github-event": "workflow_run" }))
      .toBe("workflow_run: me/app failure");
    expect(renderHookPrompt("Payload: {{body}}", { a: 1 }, {})).toBe('Payload: {\n  "a": 1\n}');
  });
  it("appends the body when the template has no placeholder", () => {
    expect(renderHookPrompt("Summarise this build.", { ok: true }, {})).toBe('Summarise this build.\n\n```json\n{\n  "ok": true\n}\n```');
  });
});
