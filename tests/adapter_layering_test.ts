/**
 * The adapters' layering (issue 15.7): each runtime folder under adapters/ imports only its own
 * runtime's modules and never another runtime's folder; adapters/shared/ imports no runtime;
 * adapters/auto.ts loads a runtime's folder only by a dynamic import. And on the wire: a Deno
 * process serving requests with `serve()` (inline, a file body, a worker thread) never loads a
 * `node:` module (an import map turns every one into a module that throws).
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { runtime } from "./_helpers.ts";
import { spawnChild, within } from "./_child.ts";
import { repoRoot } from "./_root.ts";

/** One import of a module: what it names, and whether only types are imported (erased at run time). */
interface Import {
  specifier: string;
  typeOnly: boolean;
  dynamic: boolean;
}

/** Source without comments (strings keep their text: a specifier is a string). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Every static import or re-export, side-effect import and literal dynamic import of `text`. */
function importsOf(text: string): Import[] {
  const source = code(text);
  const found: Import[] = [];
  for (const m of source.matchAll(/^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/gm)) {
    // `import { type A, type B } from` imports types only too.
    const names = m[3].replace(/^\{|\}$/g, "").split(",").map((s) => s.trim()).filter((s) => s !== "");
    const allTypes = m[3].trim().startsWith("{") && names.length > 0 && names.every((n) => n.startsWith("type "));
    found.push({ specifier: m[4], typeOnly: m[2] !== undefined || allTypes, dynamic: false });
  }
  for (const m of source.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) found.push({ specifier: m[1], typeOnly: false, dynamic: false });
  for (const m of source.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)) found.push({ specifier: m[1], typeOnly: false, dynamic: true });
  return found;
}

/** The runtime folders, and the `node:` modules each may import. */
const RUNTIMES = ["node", "deno", "bun"] as const;
const NODE_MODULES: Record<string, (specifier: string) => boolean> = {
  node: () => true,
  // permessage-deflate (issue 18) needs a deflate stream that can Z_SYNC_FLUSH between messages and
  // keep its window: only node:zlib has one on Deno and Bun (CompressionStream cannot flush). The
  // runtime's deflate port loads it at the first codec (adapters/shared/zlib_codec.ts takes it as an argument).
  deno: (specifier) => specifier === "node:zlib",
  // Bun's documented file API for what Bun.file does not do is its native node:fs.
  bun: (specifier) => specifier === "node:fs" || specifier === "node:fs/promises" || specifier === "node:zlib",
  shared: () => false,
  "": () => false,
};
/** Globals each folder must not touch (in code, not comments). */
const FOREIGN_GLOBALS: Record<string, RegExp | undefined> = {
  node: /\b(Deno|Bun)\b/,
  deno: /\bBun\b|\bprocess\s*\.|\bBuffer\s*\.|\brequire\s*\(/,
  bun: /\bDeno\b/,
  shared: /\b(Deno|Bun)\b|\bprocess\s*\.|\bBuffer\s*\.|\brequire\s*\(/,
};

/** What is wrong with `file` (a path relative to adapters/, `/`-separated) importing as `text` says. */
function layeringProblems(file: string, text: string): string[] {
  const folder = file.includes("/") ? file.slice(0, file.indexOf("/")) : "";
  const problems: string[] = [];
  for (const { specifier, typeOnly, dynamic } of importsOf(text)) {
    if (specifier.startsWith("node:")) {
      if (!NODE_MODULES[folder](specifier)) problems.push(`imports ${specifier}`);
      continue;
    }
    if (!specifier.startsWith(".")) {
      problems.push(`imports ${specifier} (adapters have no dependencies)`);
      continue;
    }
    // The target, relative to the repository root ("adapters/node/socket.ts", "src/platform.ts").
    const target = join("adapters", dirname(file), specifier).replaceAll("\\", "/");
    const targetFolder = /^adapters\/(node|deno|bun|shared)\//.exec(target)?.[1];
    if (!target.startsWith("adapters/") && !target.startsWith("src/")) problems.push(`imports ${specifier} (outside adapters/ and src/)`);
    if (targetFolder !== undefined && targetFolder !== "shared" && targetFolder !== folder) {
      if (folder !== "") problems.push(`imports ${specifier} (another runtime's adapter)`);
      else if (!dynamic && !typeOnly) problems.push(`imports ${specifier} statically (load an adapter with a dynamic import)`);
    }
  }
  const globals = FOREIGN_GLOBALS[folder];
  const m = globals?.exec(code(text).replace(/(["'`])(?:\\.|(?!\1).)*\1/g, '""'));
  if (m) problems.push(`uses ${m[0]}`);
  return problems;
}

describe("adapter layering", () => {
  const adapters = join(repoRoot(), "adapters");
  const files = (readdirSync(adapters, { recursive: true }) as string[]).map((f) => f.replaceAll("\\", "/")).filter((f) => f.endsWith(".ts")).sort();

  it("finds every runtime's folder, each with its runtime and worker entry, and shared/", () => {
    for (const name of RUNTIMES) {
      assert.ok(files.includes(`${name}/runtime.ts`), `adapters/${name}/runtime.ts`);
      assert.ok(files.includes(`${name}/worker_entry.ts`), `adapters/${name}/worker_entry.ts`);
    }
    assert.ok(files.some((f) => f.startsWith("shared/")));
    for (const f of files) assert.match(f, /^(auto\.ts|(node|deno|bun|shared)\/[a-z_]+\.ts)$/, `adapters/${f}: a file outside the layout`);
  });

  for (const file of files) {
    it(`adapters/${file} imports only what its layer may`, () => {
      const text = readFileSync(join(adapters, file), "utf8");
      assert.deepEqual(layeringProblems(file, text), [], `adapters/${file}`);
      // Every relative import names a file that exists.
      for (const { specifier } of importsOf(text)) {
        if (specifier.startsWith(".")) assert.ok(existsSync(join(adapters, dirname(file), specifier)), `adapters/${file} imports ${specifier}: no such file`);
      }
      // A file loaded by URL (a worker entry) exists beside it, as .ts (the built .js comes from it).
      for (const m of code(text).matchAll(/new URL\(([^;]*?)import\.meta\.url\s*\)/g)) {
        for (const [, name] of m[1].matchAll(/["'](\.\/[^"']+)\.(?:ts|js)["']/g)) {
          assert.ok(existsSync(join(adapters, dirname(file), `${name}.ts`)), `adapters/${file} loads ${name}.ts by URL: no such file`);
        }
      }
    });
  }

  it("adapters/auto.ts imports each runtime's adapter dynamically, and nothing else of theirs", () => {
    const imports = importsOf(readFileSync(join(adapters, "auto.ts"), "utf8"));
    for (const name of RUNTIMES) {
      assert.ok(imports.some((i) => i.dynamic && i.specifier === `./${name}/runtime.ts`), `import("./${name}/runtime.ts")`);
    }
    assert.deepEqual(imports.filter((i) => !i.typeOnly && !i.dynamic).map((i) => i.specifier), [], "no static value import");
  });

  it("detects violations (the checker itself works)", () => {
    assert.deepEqual(layeringProblems("deno/x.ts", 'import { open } from "node:fs/promises";'), ["imports node:fs/promises"]);
    assert.deepEqual(layeringProblems("shared/x.ts", 'const zlib = await import("node:zlib");'), ["imports node:zlib"]);
    assert.deepEqual(layeringProblems("bun/x.ts", 'import { lookup } from "node:dns/promises";\nimport { lookup as l } from "../node/dns.ts";'), [
      "imports node:dns/promises",
      "imports ../node/dns.ts (another runtime's adapter)",
    ]);
    assert.deepEqual(layeringProblems("shared/x.ts", 'import type { X } from "../deno/api.ts";\nconst y = Deno.pid;'), [
      "imports ../deno/api.ts (another runtime's adapter)",
      "uses Deno",
    ]);
    assert.deepEqual(layeringProblems("auto.ts", 'import { nodeRuntime } from "./node/runtime.ts";'), [
      "imports ./node/runtime.ts statically (load an adapter with a dynamic import)",
    ]);
    assert.deepEqual(layeringProblems("node/x.ts", '// Bun and Deno in a comment\nimport * as net from "node:net";\nconst s = "Bun";'), []);
    assert.deepEqual(importsOf('import {\n  type A,\n  type B,\n} from "./a.ts";\nexport { c } from "./c.ts";\nawait import("./d.ts");'), [
      { specifier: "./a.ts", typeOnly: true, dynamic: false },
      { specifier: "./c.ts", typeOnly: false, dynamic: false },
      { specifier: "./d.ts", typeOnly: false, dynamic: true },
    ]);
  });
});

/**
 * Node's built-in modules a server could plausibly load; on Deno, each one is a trap. Not here:
 * `node:url`, `node:util` and `node:worker_threads`, which Deno 2 does not remap through an import
 * map (a graph importing a remapped `node:worker_threads` even panics it); the static checks above
 * keep `node:worker_threads` inside adapters/node/, whose every runtime path loads `node:net` too.
 */
const NODE_BUILTINS = [
  "async_hooks", "buffer", "child_process", "crypto", "dns", "dns/promises", "events", "fs", "fs/promises", "http", "https",
  "net", "os", "path", "perf_hooks", "process", "stream", "tls", "v8",
];

describe("on Deno, serving requests loads no node: module", { skip: runtime === "deno" ? false : "a Deno child, run once from the Deno suite" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "waitress-layering-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("serve(): a handler inline, a file body and an app in a worker thread, under an import map that traps node:*", { timeout: 60_000 }, async () => {
    const imports: Record<string, string> = {};
    for (const name of NODE_BUILTINS) {
      const trap = `trap_${name.replace("/", "_")}.js`;
      writeFileSync(join(dir, trap), `throw new Error(${JSON.stringify(`node:${name} was loaded`)});\n`);
      imports[`node:${name}`] = `./${trap}`;
    }
    writeFileSync(join(dir, "import_map.json"), JSON.stringify({ imports }));
    writeFileSync(join(dir, "body.txt"), "a file body");
    writeFileSync(join(dir, "app.ts"), 'export default () => new Response("from a worker");\n');
    const mod = pathToFileURL(join(repoRoot(), "mod.ts")).href;
    writeFileSync(join(dir, "main.ts"), `
import { fileResponse, serve } from ${JSON.stringify(mod)};
const inline = serve((request) => new URL(request.url).pathname === "/file" ? fileResponse(${JSON.stringify(join(dir, "body.txt"))}) : new Response("inline"),
  { host: "127.0.0.1", port: 0, logLevel: "warning" });
const pool = serve(new URL("./app.ts", import.meta.url), { host: "127.0.0.1", port: 0, threads: 1, logLevel: "warning" });
await Promise.all([inline.ready, pool.ready]);
const get = async (server, path) => (await fetch(\`http://127.0.0.1:\${server.addresses[0].port}\${path}\`)).text();
const answers = [await get(inline, "/"), await get(inline, "/file"), await get(pool, "/")];
await Promise.all([inline.close(), pool.close()]);
console.log("ANSWERS " + JSON.stringify(answers));
`);
    const deno = (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath();
    const child = spawnChild(deno, ["run", "-A", "--quiet", "--no-config", "--import-map=import_map.json", "main.ts"], { cwd: dir });
    const { code: exitCode } = await within(child.exit, 50_000, () => `the Deno child did not finish:\n${child.output()}`);
    assert.equal(exitCode, 0, child.output());
    assert.match(child.output(), /ANSWERS \["inline","a file body","from a worker"\]/);
  });
});
