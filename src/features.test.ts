import { describe, it, expect } from "vitest";
import type { Feature, Services } from "./feature.js";
import { composeFeatures } from "./features.js";
import { AgentdError } from "./errors.js";

const services = { metrics: { render: async () => "", contentType: "text/plain" }, configWriter: {} as Services["configWriter"] } satisfies Services;
const base: Feature = { name: "base", provides: services };

describe("composeFeatures", () => {
  it("calls every onRunEnd listener in feature order and takes each single hook from its one provider", () => {
    const calls: string[] = [];
    const price = () => 0.5;
    const { runHooks } = composeFeatures([
      { name: "a", runHooks: { onRunEnd: () => calls.push("a"), price } },
      base,
      { name: "b", runHooks: { onRunEnd: () => calls.push("b") } },
    ]);
    runHooks.onRunEnd({} as Parameters<typeof runHooks.onRunEnd>[0]);
    expect(calls).toEqual(["a", "b"]);
    expect(runHooks.price).toBe(price);
    expect(runHooks.command).toBeUndefined();
  });

  it("refuses two providers of one hook or service at start-up, naming both", () => {
    const twice = () => composeFeatures([base, { name: "x", runHooks: { price: () => 1 } }, { name: "y", runHooks: { price: () => 2 } }]);
    expect(twice).toThrow(AgentdError);
    expect(twice).toThrow("price is provided by both x and y");
    expect(() => composeFeatures([base, { name: "z", provides: { metrics: services.metrics } }])).toThrow("metrics is provided by both base and z");
  });

  it("refuses a daemon whose features leave a service the gateway needs unprovided", () => {
    expect(() => composeFeatures([{ name: "a", provides: { metrics: services.metrics } }])).toThrow("no feature provides the service configWriter");
  });
});
