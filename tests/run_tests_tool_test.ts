/**
 * tools/run_tests.mjs, the README's test command: its closing summary line survives a pipe, Deno's
 * tests are counted like the other runtimes' (its) and usage mistakes fail loudly. Runs on Node only
 * (it drives the tool with the machine's node); it uses the dist/ the suite already built.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { runtime } from "./_helpers.ts";
import { repoRoot } from "./_root.ts";

const NODE_ONLY = runtime === "node" ? false : `drives tools/run_tests.mjs with node; skipped on ${runtime}`;
const tool = join(repoRoot(), "tools", "run_tests.mjs");

/** Runs the tool with its output piped (as `npm test | tee log` does); exit code and all stdout. */
function runTool(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn("node", [tool, ...args], { cwd: repoRoot(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout!.on("data", (chunk: Uint8Array) => (out += new TextDecoder().decode(chunk)));
    child.stderr!.on("data", (chunk: Uint8Array) => (err += new TextDecoder().decode(chunk)));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

describe("tools/run_tests.mjs", () => {
  it("ends piped output with the summary line, counting Deno's tests as its (not describe blocks)", { skip: NODE_ONLY, timeout: 120_000 }, async () => {
    const { code, out } = await runTool(["--no-build", "--only", "deno,bun", "http_date"]);
    assert.equal(code, 0, out);
    const lines = out.trimEnd().split("\n");
    assert.match(lines.at(-1)!, /^6 passed, 0 failed$/, "the last line, through a pipe");
    assert.ok(lines.includes("  deno: 3 passed, 0 failed"), "Deno: 3 tests in 2 describe blocks count as 3");
    assert.ok(lines.includes("  bun: 3 passed, 0 failed"));
    assert.match(out, /^\[deno\] /m, "each runtime's lines are prefixed as they stream");
  });

  it("refuses an unknown runtime and a filter that matches no file (exit 2), instead of passing with 0 tests", { skip: NODE_ONLY, timeout: 60_000 }, async () => {
    const typo = await runTool(["--no-build", "--only", "dneo", "http_date"]);
    assert.equal(typo.code, 2);
    assert.match(typo.err, /--only: unknown runtime "dneo"/);
    const none = await runTool(["--no-build", "no_such_test_file"]);
    assert.equal(none.code, 2);
    assert.match(none.err, /no test file in tests\/ matches "no_such_test_file"/);
  });
});
