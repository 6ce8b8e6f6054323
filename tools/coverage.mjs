#!/usr/bin/env node
// Line and branch coverage of src/ and adapters/, per file, from each runtime's own tool (no dependency):
// Deno (`deno test --coverage` + `deno coverage`: lines and branches of the .ts files), Node
// (`--experimental-test-coverage` on the built JS in dist/: lines and branches of the compiled file) and
// Bun (`bun test --coverage`: lines of the .ts files). Each adapter is covered by its own runtime only.
//
// Usage: node tools/coverage.mjs [--only node,deno,bun] [--branches] [file filter substring]
//   --branches   also list, per src/ file, the lines holding a branch Deno saw no test take
// Exits 1 when a test failed (the figures are printed anyway).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { tmpdir } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const onlyAt = args.indexOf("--only");
const only = onlyAt >= 0 ? args.splice(onlyAt, 2)[1].split(",") : ["node", "deno", "bun"];
const branchesAt = args.indexOf("--branches");
const listBranches = branchesAt >= 0 && args.splice(branchesAt, 1).length > 0;
const filter = args[0] ?? "";

if (!existsSync(bin("tsc"))) {
  console.error("Dev dependencies are missing: run `npm ci` first.");
  process.exit(2);
}

function run(cmd, argv, env = {}) {
  console.error(`$ ${[cmd, ...argv].join(" ")}`);
  const r = spawnSync(cmd, argv, {
    cwd: root, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  return { status: r.status ?? 1, out: (r.stdout ?? "") + (r.stderr ?? "") };
}

const covered = (file) => /^(src|adapters)\/[a-z_\/]+\.ts$/.test(file);
const tmp = mkdtempSync(join(tmpdir(), "waitress-coverage-"));
const testFiles = readdirSync(join(root, "tests")).filter((f) => f.endsWith("_test.ts") && f.includes(filter));
/** file -> { deno?: {line, branch}, node?: {line, branch}, bun?: {line} } */
const table = new Map();
const put = (file, runtime, figures) => {
  if (!covered(file)) return;
  if (!table.has(file)) table.set(file, {});
  table.get(file)[runtime] = figures;
};
const failed = [];
/** Records a runtime whose tests failed, with the lines that name the failures. */
function noteFailure(runtime, out) {
  failed.push(runtime);
  const lines = out.split("\n").filter((l) => /^\s*not ok |\.\.\. FAILED|^\(fail\)/.test(l));
  console.error(`${runtime}: tests failed\n${lines.slice(0, 20).join("\n")}`);
}
let uncoveredBranches = new Map();

try {
  if (only.includes("deno")) {
    const dir = join(tmp, "deno");
    const t = run(bin("deno"), ["test", "-A", "--quiet", `--coverage=${dir}`, ...testFiles.map((f) => `tests/${f}`)]);
    if (t.status !== 0) noteFailure("deno", t.out);
    const report = run(bin("deno"), ["coverage", dir, "--include=^file:.*/(src|adapters)/"]);
    for (const m of report.out.matchAll(/^\|\s*(\S+\.ts)\s*\|\s*([\d.]+)\s*\|\s*[\d.]+\s*\|\s*([\d.]+)\s*\|$/gm)) {
      put(m[1], "deno", { branch: Number(m[2]), line: Number(m[3]) });
    }
    if (listBranches) {
      const lcov = join(tmp, "deno.lcov");
      run(bin("deno"), ["coverage", dir, "--include=^file:.*/src/", "--lcov", `--output=${lcov}`]);
      uncoveredBranches = untakenBranches(readFileSync(lcov, "utf8"));
    }
  }
  if (only.includes("node")) {
    const build = run(bin("tsc"), ["-p", "tsconfig.build.json"]);
    if (build.status !== 0) {
      console.error(build.out);
      process.exit(1);
    }
    const t = run(process.execPath, ["--test", "--test-concurrency=1", "--experimental-test-coverage", "--test-reporter=tap",
      ...testFiles.map((f) => join("dist", "tests", f.replace(/\.ts$/, ".js")))]);
    if (t.status !== 0) noteFailure("node", t.out);
    for (const m of t.out.matchAll(/^# dist\/(\S+)\.js\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|/gm)) {
      put(`${m[1]}.ts`, "node", { line: Number(m[2]), branch: Number(m[3]) });
    }
  }
  if (only.includes("bun")) {
    const t = run(bin("bun"), ["test", "--timeout", "120000", "--coverage", ...testFiles.map((f) => `./tests/${f}`)]);
    if (t.status !== 0) noteFailure("bun", t.out);
    for (const m of t.out.matchAll(/^\s*(\S+\.ts)\s*\|\s*[\d.]+\s*\|\s*([\d.]+)\s*\|/gm)) put(m[1], "bun", { line: Number(m[2]) });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

/** Lines of each file holding a branch that no test took, from an lcov report (BRDA records). */
function untakenBranches(lcov) {
  const out = new Map();
  let file = "";
  for (const line of lcov.split("\n")) {
    if (line.startsWith("SF:")) file = line.slice(3).replace(/^.*?\/(src\/)/, "$1");
    const m = /^BRDA:(\d+),\d+,\d+,(-|0)$/.exec(line);
    if (m) {
      if (!out.has(file)) out.set(file, new Set());
      out.get(file).add(Number(m[1]));
    }
  }
  return out;
}

const cell = (figures, key) => (figures?.[key] === undefined ? "    -" : figures[key].toFixed(1).padStart(5));
const rows = [...table.keys()].sort();
const width = Math.max(24, ...rows.map((f) => f.length));
console.log(`\nCoverage (%)         ${"".padEnd(width - 20)}|  Deno line | Deno branch |  Node line | Node branch |  Bun line`);
console.log(`${"-".repeat(width + 1)}|------------|-------------|------------|-------------|----------`);
for (const file of rows) {
  const f = table.get(file);
  console.log(`${file.padEnd(width)} |      ${cell(f.deno, "line")} |       ${cell(f.deno, "branch")} |      ${cell(f.node, "line")} |       ${cell(f.node, "branch")} |    ${cell(f.bun, "line")}`);
}
console.log("Node figures are of the compiled dist/*.js; each adapter is exercised only by its own runtime.");
if (listBranches) {
  console.log("\nsrc/ lines with a branch no Deno test took:");
  for (const [file, lines] of [...uncoveredBranches].sort()) console.log(`  ${file}: ${[...lines].sort((a, b) => a - b).join(", ")}`);
}
if (failed.length > 0) {
  console.log(`\nTests failed on: ${failed.join(", ")} (run \`npm test\` for details)`);
  process.exit(1);
}
