import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { placeComments } from "./yaml-comments.js";

const print = (text: string) => {
  const doc = parseDocument(text, { keepSourceTokens: true });
  placeComments(doc);
  return doc.toString({ lineWidth: 0 });
};

describe("placeComments", () => {
  it("prints comments after nested blocks at the level they were written, blank lines kept", () => {
    const text = [
      "a:",
      "  b:",
      "    c: 1",
      "    # about c, still in b",
      "  # b2 is next in a",
      "",
      "# d is next at the top",
      "d:",
      "  list:",
      "    - x",
      "  # after the list, in d",
      "# e comes last",
      "e: 2",
      "",
    ].join("\n");
    expect(print(text)).toBe(text);
  });

  it("keeps a comment on a `key:` line there, and comments under a key without value under it", () => {
    const text = "tools: # the tools\n  exec:\n    enabled: false\nupdate:\n  # package: x\n\n# the end\n";
    expect(print(text)).toBe(text);
  });

  it("leaves a document without such comments as the package prints it", () => {
    const text = "a: 1 # one\nb:\n  - 2\n";
    expect(print(text)).toBe(parseDocument(text).toString({ lineWidth: 0 }));
  });
});
