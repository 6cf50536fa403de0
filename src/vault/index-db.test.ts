import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IndexDb } from "./index-db.js";
import { NoteStore } from "./note-store.js";
import { LinkResolver } from "./resolve.js";
import { Searcher } from "./search.js";
import { ftsSegments } from "./test-support.js";

const base = mkdtempSync(join(tmpdir(), "agentd-index-db-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const WORDS = ["okapi", "okra", "oklahoma", "zebra", "zenith", "quartz", "quokka", "falcon", "fallow", "denim"];

describe("IndexDb.mergeStep (the FTS5 merge a cold index leaves for after it is complete)", () => {
  it("merges several segments into one in many small steps, and search answers the same before and after", () => {
    const index = new IndexDb(join(base, "merge.db"));
    const store = new NoteStore(index, new LinkResolver());
    // 8 transactions: each commit flushes one FTS5 segment (automerge needs 8 at a level; 7 stay unmerged)
    for (let batch = 0; batch < 7; batch++) {
      index.begin();
      for (let n = 0; n < 60; n++) {
        const i = batch * 60 + n;
        const body = Array.from({ length: 40 }, (_, k) => WORDS[(i * 7 + k * k) % WORDS.length]).join(" ");
        store.upsert(`n/Note ${i}.md`, Buffer.from(`# Note ${i}\n\n${body} [[Note ${i + 1}]]\n`), 100, i, true);
      }
      index.commit();
    }
    const searcher = new Searcher(index.db);
    const queries = ["oka", "okapi", "zen", "quokka falc", '"zebra zenith"', "den", "note 7"];
    const before = queries.map((q) => searcher.search({ q, limit: 100 }));
    const segmentsBefore = ftsSegments(index);
    expect(segmentsBefore).toBeGreaterThan(1);

    let steps = 0;
    index.begin();
    while (!index.mergeStep(4)) steps++;
    index.commit();

    expect(steps).toBeGreaterThan(1); // incremental: more than one step for this much data
    expect(ftsSegments(index)).toBe(1);
    const after = queries.map((q) => searcher.search({ q, limit: 100 }));
    expect(after).toEqual(before); // same hits, scores, order and snippets
    expect(after[0]!.length).toBeGreaterThan(0);
    expect(index.mergeStep(4)).toBe(true); // nothing left to merge
    index.close();
  });
});
