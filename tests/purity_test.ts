/**
 * The core stays runtime-free: only adapters/ (and entry points) may touch node:*, Deno, Bun, timers,
 * threads or process. This test fails on the first file under src/ that does.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./_root.ts";

const FORBIDDEN: [RegExp, string][] = [
  [/from\s+["']node:|import\(\s*["']node:|require\(/, "imports a node: module"],
  [/\bDeno\s*\./, "uses the Deno global"],
  [/\bBun\s*\./, "uses the Bun global"],
  [/\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval)\s*\(/, "uses a timer"],
  [/\bnew\s+Worker\s*\(|worker_threads/, "uses a thread"],
  [/\bprocess\s*\.|\bBuffer\s*\./, "uses Node's process or Buffer globals"],
];

/** Beyond that, src/ reads no clock of its own (the Clock port gives the time) and names no runtime's errors. */
const CORE_FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\s*\(|\bperformance\.now\s*\(|\bnew\s+Date\s*\(\s*\)/, "reads the clock (take the time from the Clock port, as an argument)"],
  [/ECONNRESET|EPIPE|ECONNABORTED|ConnectionReset|BrokenPipe/, "names a runtime's socket error (adapters classify errors: onClose(error, routine))"],
];

/** Source without comments, so prose may mention what code may not use. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

describe("src/ purity", () => {
  const src = join(repoRoot(), "src");
  // Every .ts file under src/, with its path relative to src/ ("http1/parser.ts").
  const files = (readdirSync(src, { recursive: true }) as string[]).map((f) => f.replaceAll("\\", "/")).filter((f) => f.endsWith(".ts")).sort();

  it("finds the core's source files", () => {
    assert.ok(files.length >= 5, `expected the core's .ts files in ${src}`);
  });

  for (const file of files) {
    it(`${file} touches no runtime, timer or thread`, () => {
      const text = code(readFileSync(join(src, file), "utf8"));
      for (const [pattern, what] of [...FORBIDDEN, ...CORE_FORBIDDEN]) {
        const m = pattern.exec(text);
        assert.equal(m, null, `src/${file} ${what}: "${m?.[0]}". Move it to an adapter (adapters/<runtime>/, or adapters/shared/ when all three runtimes have it) behind a port of src/platform.ts.`);
      }
    });
  }

  // The layers (README "Architecture"): the protocol imports nothing outside itself; the Fetch objects
  // and the deployment policies build on the protocol and the ports only.
  const LAYERS: Record<string, string[]> = {
    http1: [],
    ws: ["http1"],
    web: ["http1", "ws", "platform.ts"],
    policy: ["http1", "platform.ts", "settings"],
  };
  for (const [layer, allowed] of Object.entries(LAYERS)) {
    it(`${layer}/ imports only ${allowed.length ? allowed.join(", ") : "itself"}`, () => {
      for (const file of files.filter((f) => f.startsWith(layer + "/"))) {
        const text = code(readFileSync(join(src, file), "utf8"));
        for (const m of text.matchAll(/from\s+["']\.\.\/([^/"']+)/g)) {
          assert.ok(allowed.includes(m[1]!), `src/${file} imports ../${m[1]}: ${layer}/ may import only ${allowed.join(", ") || "its own files"}`);
        }
      }
    });
  }

  it("detects a violation (the checker itself works)", () => {
    const sample = code('import { x } from "node:net";\nconst t = setTimeout(() => {}, 1);');
    assert.ok(FORBIDDEN.some(([p]) => p.test(sample)));
    assert.ok(CORE_FORBIDDEN.some(([p]) => p.test(code("const t = Date.now();"))));
    assert.ok(CORE_FORBIDDEN.some(([p]) => p.test(code('if (e.code === "ECONNRESET") {}'))));
    assert.ok(!CORE_FORBIDDEN.some(([p]) => p.test(code("const d = new Date(ms);"))), "formatting a given time is fine");
  });
});
