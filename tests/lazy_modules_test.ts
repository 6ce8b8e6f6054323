/**
 * Code a plain server never uses is never loaded (issue 16: idle memory): a hello world (a function,
 * or a module with `threads: 0`) loads neither thread mode nor the trusted-proxy parsing, and on
 * Node neither `node:worker_threads`, `node:dns/promises`, `node:os` nor `node:zlib` (which the
 * runtime's permessage-deflate port loads at its first codec). A server whose settings
 * need them loads them, which shows the report works. Runs in a fresh child process, since loading
 * is once per process.
 *
 * How a module is seen: each lazily loaded module adds its URL to the Set at
 * `globalThis[Symbol.for("waitress.loaded")]` when the child created one (one line after its
 * imports). Loader hooks would see it without that line, but Deno and Bun have none for this.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runtimeCommand, spawnChild, within } from "./_child.ts";
import { runtime } from "./_helpers.ts";
import { repoRoot } from "./_root.ts";

/**
 * What a hello world must not load. Not src/policy/access_log yet: src/settings/casts.ts imports
 * its format check from it, so every server loads it until casts.ts imports access_format.ts.
 */
const LAZY = ["src/policy/access_log", "src/policy/proxy_headers", "src/serve/spool", "src/serve/ws_upgrade", "src/threads/dispatcher", "src/threads/thread_protocol", "src/threads/worker_main"];

describe("modules a plain server does not need", () => {
  it("a hello world loads no thread mode, proxy parsing or Node thread and DNS modules; the settings that need them do", async () => {
    const root = repoRoot();
    const [command, argv] = runtimeCommand(join(root, "tests", "fixtures", "lazy_modules_child.mjs"));
    const c = spawnChild(command, argv, { cwd: root });
    const { code } = await within(c.exit, 30000, () => `waiting for the child:\n${c.output()}`);
    assert.equal(code, 0, c.output());
    const line = c.output().trim().split("\n").find((l) => l.startsWith("{"));
    assert.ok(line, `no JSON line in:\n${c.output()}`);
    const report = JSON.parse(line) as {
      bodies: string[];
      before: { modules: string[]; node: string[] | null };
      compressed: { modules: string[]; node: string[] | null };
      after: { modules: string[]; node: string[] | null };
    };
    assert.deepEqual(report.bodies, ["hi", "hello from a module", "deflated", "hello from a module"]);
    assert.deepEqual(report.before.modules.filter((m) => LAZY.includes(m)), [], "loaded by a hello world");
    // Thread mode, a trusted proxy and an access log: the I/O thread's share of thread mode (the
    // worker thread loads worker_main.ts in its own global scope).
    for (const m of ["src/policy/proxy_headers", "src/serve/spool", "src/threads/dispatcher", "src/threads/thread_protocol", "src/policy/access_log"]) {
      assert.ok(report.after.modules.includes(m), `${m} ran for the settings that need it (${report.after.modules.join(", ")})`);
    }
    // Node lists the internal modules it loaded; Deno and Bun do not (null).
    assert.deepEqual(report.before.node, runtime === "node" ? [] : null);
    // A permessage-deflate codec (the runtime's port, used once) loads node:zlib; so does Node's
    // worker_threads once a worker thread has served (the control below would show zlib either way).
    assert.deepEqual(report.compressed.node, runtime === "node" ? ["zlib"] : null);
    assert.deepEqual(report.after.node, runtime === "node" ? ["worker_threads", "zlib"] : null);
  });
});
