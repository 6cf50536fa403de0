import hljs from "highlight.js/lib/core";
import javascript from "highlight.js/lib/languages/javascript";
import typescript from "highlight.js/lib/languages/typescript";
import json from "highlight.js/lib/languages/json";
import bash from "highlight.js/lib/languages/bash";
import python from "highlight.js/lib/languages/python";
import yaml from "highlight.js/lib/languages/yaml";

for (const [name, lang] of Object.entries({ javascript, typescript, json, bash, python, yaml })) hljs.registerLanguage(name, lang);

/** highlight.js with six languages (js, ts, json, bash, python, yaml), loaded with the first code block. */
export default hljs;
