#!/usr/bin/env node
// Runs the one test suite on Node (built JS), Deno and Bun, and prints one closing
// "N passed, N failed" line. Exits non-zero on any failure or on a runtime that ran no test.
// Usage: node tools/run_tests.mjs [--only node,deno,bun] [--repeat N] [--name PATTERN] [file filter: substrings, comma-separated]
//   --repeat N      run the selection N times (to hunt flaky tests) and list every failure of every run
//   --name PATTERN  only tests whose name matches PATTERN (a regular expression; Node and Bun)
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
/** Removes `--flag value` from args and returns the value. */
function option(flag) {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const value = args.splice(i, 2)[1];
  if (value === undefined) {
    console.error(`${flag} needs a value (see the usage at the top of tools/run_tests.mjs)`);
    process.exit(2);
  }
  return value;
}
const only = (option("--only") ?? "node,deno,bun").split(",");
const repeat = Number(option("--repeat") ?? 1);
const namePattern = option("--name");
if (!Number.isInteger(repeat) || repeat < 1) {
  console.error("--repeat takes a whole number of runs, 1 or more");
  process.exit(2);
}
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

const filters = filter.split(",");
const testFiles = readdirSync(join(root, "tests")).filter((f) => f.endsWith("_test.ts") && filters.some((part) => f.includes(part)));

/** Runs the selection once on each runtime: [{ runtime, pass, fail, status, failures: [test names] }]. */
function runOnce() {
  const results = [];
  if (only.includes("node")) {
    const tmp = mkdtempSync(join(tmpdir(), "waitress-tap-"));
    const tap = join(tmp, "node.tap");
    const files = testFiles.map((f) => join("dist", "tests", f.replace(/\.ts$/, ".js")));
    const r = run(process.execPath, ["--test", "--test-concurrency=1", "--test-reporter=spec",
      "--test-reporter-destination=stdout", "--test-reporter=tap", `--test-reporter-destination=${tap}`,
      ...(namePattern ? [`--test-name-pattern=${namePattern}`] : []), ...files]);
    const text = existsSync(tap) ? readFileSync(tap, "utf8") : "";
    rmSync(tmp, { recursive: true, force: true });
    const pass = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? 0);
    const fail = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? 0) + Number(/^# cancelled (\d+)/m.exec(text)?.[1] ?? 0);
    // Leaf failures only: a failing describe repeats its failing test.
    const failures = [];
    let previousIndent = -1;
    for (const m of text.matchAll(/^(\s*)(not ok|ok) \d+ - (.*)$/gm)) {
      // A suite's result line follows its tests' deeper-indented lines: report the tests, not the suite.
      if (m[2] === "not ok" && previousIndent <= m[1].length) failures.push(m[3].trim());
      previousIndent = m[1].length;
    }
    results.push({ runtime: "node", pass, fail, status: r.status, failures });
  }
  if (only.includes("deno")) {
    // Deno's --filter sees only top-level tests (our describe blocks), not their its: it runs whole files.
    if (namePattern) console.log("(deno: --name is not applied; the selected files run whole)");
    const r = run(bin("deno"), ["test", "-A", "--quiet",
      ...(filter ? testFiles.map((f) => `tests/${f}`) : [])], { env: { ...process.env, NO_COLOR: "1" } });
    const m = [...r.out.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].pop();
    const failures = [...r.out.matchAll(/^\s*(.*?) \.\.\. FAILED/gm)].map((f) => f[1]);
    results.push({ runtime: "deno", pass: Number(m?.[1] ?? 0), fail: Number(m?.[2] ?? 0), status: r.status, failures });
  }
  if (only.includes("bun")) {
    // Bun ignores node:test's describe({ timeout }) and stops a test after 5 s; big transfers on a busy machine take longer.
    const r = run(bin("bun"), ["test", "--timeout", "120000", ...(namePattern ? ["-t", namePattern] : []),
      ...(filter ? testFiles.map((f) => `./tests/${f}`) : ["./tests"])], { env: { ...process.env, NO_COLOR: "1" } });
    const pass = Number([...r.out.matchAll(/^\s*(\d+) pass$/gm)].pop()?.[1] ?? 0);
    const fail = Number([...r.out.matchAll(/^\s*(\d+) fail$/gm)].pop()?.[1] ?? 0);
    const failures = [...new Set([...r.out.matchAll(/^\(fail\) (.*?)(?: \[[\d.]+m?s\])?$/gm)].map((f) => f[1]))];
    results.push({ runtime: "bun", pass, fail, status: r.status, failures });
  }
  return results;
}

/** Counts one run's results; a runtime that exits non-zero or runs no test counts as a failure. */
function tally(results) {
  let pass = 0, fail = 0;
  const lines = [];
  for (const r of results) {
    const broken = r.status !== 0 && r.fail === 0 ? 1 : 0;
    const empty = r.pass + r.fail === 0 ? 1 : 0;
    lines.push(`  ${r.runtime}: ${r.pass} passed, ${r.fail} failed${broken ? ` (exit ${r.status})` : ""}${empty ? " (ran no test)" : ""}`);
    pass += r.pass;
    fail += r.fail + Math.max(broken, empty);
  }
  return { pass, fail, lines };
}

if (repeat === 1) {
  const { pass, fail, lines } = tally(runOnce());
  console.log("\nSummary");
  for (const line of lines) console.log(line);
  console.log(`${pass} passed, ${fail} failed`);
  process.exit(fail === 0 ? 0 : 1);
}

// --repeat: every run's failures, then how often each test failed.
const failedRuns = [];
const counts = new Map();
let pass = 0, fail = 0;
for (let i = 1; i <= repeat; i++) {
  const results = runOnce();
  const t = tally(results);
  pass += t.pass;
  fail += t.fail;
  console.log(`\nRun ${i}/${repeat}:\n${t.lines.join("\n")}`);
  if (t.fail > 0) failedRuns.push(i);
  for (const r of results) for (const name of r.failures) {
    const key = `${r.runtime}: ${name}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
}
console.log(`\nRepeat summary: ${repeat - failedRuns.length} of ${repeat} runs passed${failedRuns.length ? ` (failed: runs ${failedRuns.join(", ")})` : ""}`);
for (const [key, n] of counts) console.log(`  ${n}/${repeat} ${key}`);
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail === 0 ? 0 : 1);
