import { parseDocument } from "yaml";
import { readFileSync } from "node:fs";
import { placeComments } from "./src/config/yaml-comments.js";
const t = readFileSync("agent-template/agentd.yaml","utf8").replace("__AGENT_NAME__","bot");
const SRC = readFileSync("src/config/yaml-splice.test.ts","utf8").split("const SRC = `")[1]!.split("`;")[0]!.replace("\\${","${");
for (const src of [t, SRC]) {
const d = parseDocument(src, { keepSourceTokens: true });
placeComments(d);
const out = d.toString({ lineWidth: 0 });
console.log("identical:", out === src);
const a=src.split("\n"), b=out.split("\n"); for (let i=0;i<Math.max(a.length,b.length);i++) if (a[i]!==b[i]) { console.log(i, JSON.stringify(a[i]), "=>", JSON.stringify(b[i])); }
}
