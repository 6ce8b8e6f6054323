#!/usr/bin/env node
// Runs the one test suite on Node (built JS), Deno and Bun, and prints one closing
// "N passed, N failed" line. Exits non-zero on any failure or on a runtime that ran no test.
// Usage: node tools/run_tests.mjs [--only node|deno|bun] [name filter substring]
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? args.splice(onlyIndex, 2)[1].split(",") : ["node", "deno", "bun"];
const filter = args[0] ?? "";

if (!existsSync(bin("tsc"))) {
  console.error("Dev dependencies are missing: run `npm ci` first (the README: `npm ci && npm test`).");
  process.exit(2);
}

function run(cmd, argv, opts = {}) {
  console.log(`\n$ ${[cmd, ...argv].join(" ")}`);
  const r = spawnSync(cmd, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024, ...opts });
  process.stdout.write(r.stdout ?? "");
  process.stderr.write(r.stderr ?? "");
  return { status: r.status ?? 1, out: (r.stdout ?? "") + (r.stderr ?? "") };
}

const build = run(bin("tsc"), ["-p", "tsconfig.build.json"]);
if (build.status !== 0) {
  console.log("\nbuild failed: tsc reported errors above");
  console.log("0 passed, 1 failed");
  process.exit(1);
}

const results = [];
const testFiles = readdirSync(join(root, "tests")).filter((f) => f.endsWith("_test.ts") && f.includes(filter));

if (only.includes("node")) {
  const tmp = mkdtempSync(join(tmpdir(), "waitress-tap-"));
  const tap = join(tmp, "node.tap");
  const files = testFiles.map((f) => join("dist", "tests", f.replace(/\.ts$/, ".js")));
  const r = run(process.execPath, ["--test", "--test-concurrency=1", "--test-reporter=spec",
    "--test-reporter-destination=stdout", "--test-reporter=tap", `--test-reporter-destination=${tap}`, ...files]);
  const text = existsSync(tap) ? readFileSync(tap, "utf8") : "";
  rmSync(tmp, { recursive: true, force: true });
  const pass = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? 0);
  const fail = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? 0) + Number(/^# cancelled (\d+)/m.exec(text)?.[1] ?? 0);
  results.push({ runtime: "node", pass, fail, status: r.status });
}
if (only.includes("deno")) {
  const r = run(bin("deno"), ["test", "-A", "--quiet", ...(filter ? testFiles.map((f) => `tests/${f}`) : [])], {
    env: { ...process.env, NO_COLOR: "1" },
  });
  const m = [...r.out.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].pop();
  results.push({ runtime: "deno", pass: Number(m?.[1] ?? 0), fail: Number(m?.[2] ?? 0), status: r.status });
}
if (only.includes("bun")) {
  const r = run(bin("bun"), ["test", ...(filter ? testFiles.map((f) => `./tests/${f}`) : ["./tests"])], {
    env: { ...process.env, NO_COLOR: "1" },
  });
  const pass = Number([...r.out.matchAll(/^\s*(\d+) pass$/gm)].pop()?.[1] ?? 0);
  const fail = Number([...r.out.matchAll(/^\s*(\d+) fail$/gm)].pop()?.[1] ?? 0);
  results.push({ runtime: "bun", pass, fail, status: r.status });
}

let pass = 0, fail = 0;
console.log("\nSummary");
for (const r of results) {
  // A runtime that exits non-zero or runs no test counts as a failure even if it reported none.
  const broken = r.status !== 0 && r.fail === 0 ? 1 : 0;
  const empty = r.pass + r.fail === 0 ? 1 : 0;
  console.log(`  ${r.runtime}: ${r.pass} passed, ${r.fail} failed${broken ? ` (exit ${r.status})` : ""}${empty ? " (ran no test)" : ""}`);
  pass += r.pass;
  fail += r.fail + Math.max(broken, empty);
}
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail === 0 ? 0 : 1);
