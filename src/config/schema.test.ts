import { afterEach, describe, expect, it } from "vitest";
import { AgentConfig, systemTimeZone } from "./schema.js";

describe("agent.timezone", () => {
  const saved = process.env.TZ;
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  it("defaults to the zone Intl resolves for this machine", () => {
    delete process.env.TZ;
    expect(systemTimeZone()).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(AgentConfig.parse({}).timezone).toBe(systemTimeZone());
  });

  it("takes a canonical zone from TZ, with or without the leading colon", () => {
    process.env.TZ = "Asia/Tokyo";
    expect(systemTimeZone()).toBe("Asia/Tokyo");
    process.env.TZ = ":Europe/Berlin";
    expect(systemTimeZone()).toBe("Europe/Berlin");
  });

  it("accepts canonical zones, UTC and aliases; rejects unknown names with the reason", () => {
    for (const tz of ["Europe/Berlin", "UTC", "Etc/UTC", "Asia/Calcutta", "US/Pacific"]) expect(AgentConfig.parse({ timezone: tz }).timezone).toBe(tz);
    const r = AgentConfig.safeParse({ timezone: "Mars/Olympus_Mons" });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ["timezone"], message: expect.stringContaining("not an IANA time zone") });
  });
});
