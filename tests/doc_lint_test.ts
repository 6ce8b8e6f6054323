/**
 * `deno doc --lint mod.ts` stays clean: every public symbol documented, no private types leaking.
 * Runs under Deno (which ships the linter); the other runtimes run it through the Deno from npm.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./_root.ts";

describe("public API docs", () => {
  it("deno doc --lint mod.ts reports nothing", { timeout: 120_000 }, (t) => {
    const root = repoRoot();
    const deno = join(root, "node_modules", ".bin", "deno");
    if (!existsSync(deno)) {
      t.skip("node_modules/.bin/deno is missing: run npm ci");
      return;
    }
    const result = spawnSync(deno, ["doc", "--lint", "mod.ts"], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 110_000 });
    assert.equal(result.status, 0, `deno doc --lint failed:\n${(result.stdout ?? "") + (result.stderr ?? "")}`.slice(0, 4000));
  });
});
