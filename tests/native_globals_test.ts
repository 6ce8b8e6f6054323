/**
 * The native Fetch classes are read only when needed: on Node a hello-world server never loads
 * undici (about 12 MiB resident), and the lazy request and FastResponse still pass `instanceof`
 * on every runtime once something does read them. Runs in a fresh child process, since loading is
 * once per process.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runtimeCommand, spawnChild, within } from "./_child.ts";
import { runtime } from "./_helpers.ts";
import { repoRoot } from "./_root.ts";

describe("native Fetch classes, read only when needed", () => {
  it("a hello world never loads them (Node), and instanceof holds once they load", async () => {
    const root = repoRoot();
    const [command, argv] = runtimeCommand(join(root, "tests", "fixtures", "lazy_globals_child.mjs"));
    const c = spawnChild(command, argv, { cwd: root });
    const { code } = await within(c.exit, 20000, () => `waiting for the child:\n${c.output()}`);
    assert.equal(code, 0, c.output());
    const line = c.output().trim().split("\n").find((l) => l.startsWith("{"));
    assert.ok(line, `no JSON line in:\n${c.output()}`);
    const report = JSON.parse(line);
    assert.equal(report.plain, "hi");
    // Node 20 only: the others have the Fetch classes built in (null: nothing to load).
    assert.equal(report.afterHello, runtime === "node" ? false : null);
    assert.deepEqual(report.checks, {
      requestIsRequest: true,
      responseIsResponse: true,
      cloneIsRequest: true,
      nativeResponseText: "blob",
      jsonType: runtime === "bun" ? "application/json;charset=utf-8" : "application/json",
    });
  });
});
