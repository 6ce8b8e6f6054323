#!/usr/bin/env node
// Runs the one test suite on Node (built JS), Deno and Bun, streaming each runtime's output as it comes
// (each line prefixed by its runtime), and prints one closing "N passed, N failed" line. Exits non-zero on
// any failure or on a runtime that ran no test.
// Usage: node tools/run_tests.mjs [--only node,deno,bun] [--repeat N] [--name PATTERN] [file filter: substrings, comma-separated]
//   --repeat N      run the selection N times (to hunt flaky tests) and list every failure of every run
//   --name PATTERN  only tests whose name matches PATTERN (a regular expression; Node and Bun)
//   --no-build      use the dist/ already built (for Node)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const RUNTIMES = ["node", "deno", "bun"];
const args = process.argv.slice(2);

/** Stops with a usage error (exit 2). */
function usage(message) {
  console.error(`${message} (usage: see the top of tools/run_tests.mjs)`);
  process.exit(2);
}

/** Removes `--flag value` from args and returns the value. */
function option(flag) {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const value = args.splice(i, 2)[1];
  if (value === undefined) usage(`${flag} needs a value`);
  return value;
}
const only = (option("--only") ?? RUNTIMES.join(",")).split(",");
for (const name of only) if (!RUNTIMES.includes(name)) usage(`--only: unknown runtime "${name}"; use node, deno or bun`);
const repeat = Number(option("--repeat") ?? 1);
if (!Number.isInteger(repeat) || repeat < 1) usage("--repeat takes a whole number of runs, 1 or more");
const namePattern = option("--name");
const noBuildAt = args.indexOf("--no-build");
const noBuild = noBuildAt >= 0 && args.splice(noBuildAt, 1).length > 0;
const unknown = args.find((a) => a.startsWith("--"));
if (unknown) usage(`unknown option ${unknown}`);
const filter = args[0] ?? "";

if (!existsSync(bin("tsc"))) {
  console.error("Dev dependencies are missing: run `npm ci` first (the README: `npm ci && npm test`).");
  process.exit(2);
}

const filters = filter.split(",");
const testFiles = readdirSync(join(root, "tests")).filter((f) => f.endsWith("_test.ts") && filters.some((part) => f.includes(part)));
if (testFiles.length === 0) usage(`no test file in tests/ matches "${filter}"`);

if (!noBuild) console.log(`$ tsc -p tsconfig.build.json`);
const build = noBuild ? { status: 0 } : spawnSync(bin("tsc"), ["-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) {
  console.log("\nbuild failed: tsc reported errors above");
  console.log("0 passed, 1 failed");
  process.exitCode = 1;
} else {
  await main();
}

/** Runs a command, streaming its output line by line with `prefix`; resolves with its status and output. */
function run(prefix, cmd, argv, env = {}) {
  console.log(`\n${prefix}$ ${[cmd, ...argv].join(" ")}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", ...env } });
    // Whole lines only, from either stream: a chunk of stderr arriving in the middle of a stdout line
    // must not split the line the counting below reads.
    const out = [];
    const pending = { stdout: "", stderr: "" };
    const pipe = (name, sink) => child[name].on("data", (chunk) => {
      const text = chunk.toString("utf8");
      const lines = (pending[name] + text).split("\n");
      pending[name] = lines.pop();
      if (lines.length === 0) return;
      for (const line of lines) out.push(line);
      sink.write(lines.map((line) => `${prefix}${line}\n`).join(""));
    });
    pipe("stdout", process.stdout);
    pipe("stderr", process.stderr);
    child.on("close", (code) => {
      for (const [name, sink] of [["stdout", process.stdout], ["stderr", process.stderr]]) {
        if (pending[name]) {
          out.push(pending[name]);
          sink.write(`${prefix}${pending[name]}\n`);
        }
      }
      resolve({ status: code ?? 1, out: out.join("\n") });
    });
  });
}

/**
 * Leaf results of Deno's output: a describe block is a test whose its are steps; Deno prints
 * "name ..." when a block opens and "name ... ok" when it closes. Counting leaves counts tests the
 * way Node and Bun do.
 */
function denoLeaves(out) {
  const leaves = { pass: 0, fail: 0, skip: 0, failures: [] };
  const open = []; // { indent, children }: blocks (or tests printing output) not closed yet
  for (const line of out.split("\n")) {
    const opened = /^(\s*)(.*) \.\.\.$/.exec(line);
    if (opened) {
      open.push({ indent: opened[1].length, children: 0 });
      continue;
    }
    const result = /^(\s*)(.*?) \.\.\. (ok|FAILED|ignored)\b/.exec(line);
    if (!result) continue;
    const top = open[open.length - 1];
    if (top !== undefined && top.indent === result[1].length) {
      open.pop();
      if (top.children > 0) continue; // a block closing over its steps
    }
    if (open.length > 0) open[open.length - 1].children++;
    if (result[3] === "ok") leaves.pass++;
    else if (result[3] === "ignored") leaves.skip++;
    else {
      leaves.fail++;
      leaves.failures.push(result[2].trim());
    }
  }
  return leaves;
}

/** Runs the selection once on each runtime: [{ runtime, pass, fail, skip, status, failures }]. */
async function runOnce() {
  const results = [];
  if (only.includes("node")) {
    const tmp = mkdtempSync(join(tmpdir(), "waitress-tap-"));
    const tap = join(tmp, "node.tap");
    const files = testFiles.map((f) => join("dist", "tests", f.replace(/\.ts$/, ".js")));
    const r = await run("[node] ", process.execPath, ["--test", "--test-concurrency=1", "--test-reporter=spec",
      "--test-reporter-destination=stdout", "--test-reporter=tap", `--test-reporter-destination=${tap}`,
      ...(namePattern ? [`--test-name-pattern=${namePattern}`] : []), ...files]);
    const text = existsSync(tap) ? readFileSync(tap, "utf8") : "";
    rmSync(tmp, { recursive: true, force: true });
    const count = (what) => Number(new RegExp(`^# ${what} (\\d+)`, "m").exec(text)?.[1] ?? 0);
    const failures = [];
    let previousIndent = -1;
    for (const m of text.matchAll(/^(\s*)(not ok|ok) \d+ - (.*)$/gm)) {
      // A suite's result line follows its tests' deeper-indented lines: report the tests, not the suite.
      if (m[2] === "not ok" && previousIndent <= m[1].length) failures.push(m[3].trim());
      previousIndent = m[1].length;
    }
    results.push({ runtime: "node", pass: count("pass"), fail: count("fail") + count("cancelled"), skip: count("skipped") + count("todo"), status: r.status, failures });
  }
  if (only.includes("deno")) {
    // Deno's --filter sees only top-level tests (our describe blocks), not their its: it runs whole files.
    if (namePattern) console.log("[deno] (--name is not applied on Deno; the selected files run whole)");
    const r = await run("[deno] ", bin("deno"), ["test", "-A", ...(filter ? testFiles.map((f) => `tests/${f}`) : [])]);
    const leaves = denoLeaves(r.out);
    results.push({ runtime: "deno", ...leaves, status: r.status });
  }
  if (only.includes("bun")) {
    // Bun ignores node:test's describe({ timeout }) and stops a test after 5 s; big transfers on a busy machine take longer.
    const r = await run("[bun] ", bin("bun"), ["test", "--timeout", "120000", ...(namePattern ? ["-t", namePattern] : []),
      ...(filter ? testFiles.map((f) => `./tests/${f}`) : ["./tests"])]);
    const count = (what) => Number([...r.out.matchAll(new RegExp(`^\\s*(\\d+) ${what}$`, "gm"))].pop()?.[1] ?? 0);
    const failures = [...new Set([...r.out.matchAll(/^\(fail\) (.*?)(?: \[[\d.]+m?s\])?$/gm)].map((f) => f[1]))];
    results.push({ runtime: "bun", pass: count("pass"), fail: count("fail"), skip: count("skip") + count("todo"), status: r.status, failures });
  }
  return results;
}

/** Counts one run's results; a runtime that exits non-zero or runs no test counts as a failure. */
function tally(results) {
  let pass = 0, fail = 0, skip = 0;
  const lines = [];
  for (const r of results) {
    const broken = r.status !== 0 && r.fail === 0 ? 1 : 0;
    const empty = r.pass + r.fail + r.skip === 0 ? 1 : 0; // a selection whose tests all skip here is not empty
    lines.push(`  ${r.runtime}: ${r.pass} passed, ${r.fail} failed${r.skip ? `, ${r.skip} skipped` : ""}` +
      `${broken ? ` (exit ${r.status})` : ""}${empty ? " (ran no test)" : ""}`);
    pass += r.pass;
    skip += r.skip;
    fail += r.fail + Math.max(broken, empty);
  }
  return { pass, fail, skip, lines };
}

async function main() {
  if (repeat === 1) {
    const results = await runOnce();
    const { pass, fail, skip, lines } = tally(results);
    console.log("\nSummary");
    for (const line of lines) console.log(line);
    for (const r of results) for (const name of r.failures) console.log(`  failed on ${r.runtime}: ${name}`);
    console.log(`${pass} passed, ${fail} failed${skip ? `, ${skip} skipped` : ""}`);
    process.exitCode = fail === 0 ? 0 : 1; // not process.exit(): it would drop output still queued for a pipe
    return;
  }
  // --repeat: every run's failures, then how often each test failed.
  const failedRuns = [];
  const counts = new Map();
  let pass = 0, fail = 0;
  for (let i = 1; i <= repeat; i++) {
    const results = await runOnce();
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
  process.exitCode = fail === 0 ? 0 : 1;
}
