import { describe, expect, it } from "vitest";
import { frontmatterAliases, frontmatterTags, parseFrontmatterYaml, stringifyFrontmatter } from "./frontmatter.js";

describe("parseFrontmatterYaml (the yaml package, core schema + timestamps + merge keys)", () => {
  it("reads properties as Obsidian shows them: dates as strings, times and leading zeros not as numbers", () => {
    expect(parseFrontmatterYaml("created: 2024-01-04\nat: 2024-01-31T10:30\nstamp: 2024-01-31 10:30:00\ntime: 10:30\nzip: 01234\nn: 0x1F\nok: true\nnone:\n")).toEqual({
      created: "2024-01-04",
      at: "2024-01-31T10:30", // Obsidian writes date-times without seconds: not a YAML timestamp
      stamp: "2024-01-31T10:30:00.000Z",
      time: "10:30",
      zip: 1234,
      n: 31,
      ok: true,
      none: null,
    });
  });

  it("follows anchors and `<<` merge keys", () => {
    expect(parseFrontmatterYaml("base: &b {status: draft}\nnote:\n  <<: *b\n  owner: me")).toEqual({ base: { status: "draft" }, note: { status: "draft", owner: "me" } });
  });

  it("gives {} for empty, invalid, non-mapping YAML and unknown tags, never throwing", () => {
    for (const yaml of ["", "  \n", "[a, b]", "just text", "a: [1", "a: !custom x", "a: 1\n\ta: 2"]) expect(parseFrontmatterYaml(yaml)).toEqual({});
  });

  it("reads tags and aliases as a list or a comma string, and writes back what it reads", () => {
    const data = parseFrontmatterYaml("tags: '#a, b c'\naliases: [One, Two]\ntitle: 'x: y'");
    expect(frontmatterTags(data)).toEqual(["a", "b", "c"]);
    expect(frontmatterAliases(data)).toEqual(["One", "Two"]);
    const block = stringifyFrontmatter(data);
    expect(parseFrontmatterYaml(block.slice(4, -4))).toEqual(data);
  });
});
