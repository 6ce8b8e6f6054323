/**
 * The README's code works as written: every TypeScript/JavaScript block that imports
 * `@waitress/core` (also `jsr:` / `npm:` forms) is run as its own program on the runtime running
 * the tests, with that import pointed at this checkout, and must serve a request.
 *
 * How a block is run: it is written to dist/readme_blocks/ (inside the repository, so bare imports
 * such as "hono" resolve from its node_modules / package.json; on Node it is transpiled with the
 * typescript dev dependency first). `serve()` and `createServer()` are wrapped so they listen on
 * 127.0.0.1 with a free port whatever the block asks for, and report the port. The test then sends
 * one request, checks the answer and kills the program. A block that starts no server must exit 0.
 *
 * Markers: an HTML comment on the line just before the fence says more about the block:
 *
 * - `<!-- test: skip REASON -->`: not run (a fragment, a placeholder, needs files or a network).
 *   Every other ts/js block must import `@waitress/core`: a block that cannot run must say so.
 * - `<!-- test: GET /app/users/7 200 "mountedAt" -->`: the request to send (default `GET /`), the
 *   status expected (default: any status below 500) and a text the body must contain.
 * - `<!-- test: WS /ws "echo: hi" -->`: open a WebSocket at the path, send the text "hi", and expect a
 *   message that contains the text.
 * - `<!-- test: deno -->` (or `node`, `bun`, several): run it only on those runtimes. Combines with
 *   a request: `<!-- test: node bun GET / 200 -->`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import process from "node:process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { exchange, runtime } from "./_helpers.ts";
import { textOf, WsClient } from "./_ws_client.ts";
import { outputMatch, runtimeCommand, spawnChild, stopChild, within } from "./_child.ts";
import { repoRoot } from "./_root.ts";

type Runtime = "node" | "deno" | "bun";
const RUNTIMES: readonly Runtime[] = ["node", "deno", "bun"];

/** What a `<!-- test: ... -->` marker says about the block below it. */
export interface BlockMarker {
  /** Why the block is not run; undefined when it runs. */
  skip?: string;
  /** The runtimes it runs on (all when empty). */
  runtimes: Runtime[];
  method: string;
  path: string;
  /** The status expected; undefined: anything below 500. */
  status?: number;
  /** Text the response body must contain. */
  contains?: string;
}

/** One fenced code block of a Markdown file. */
export interface CodeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's language (first word of the info string), lower-cased. */
  lang: string;
  code: string;
  /** The marker on the line before the fence, if any. */
  marker?: BlockMarker;
}

const MARKER = /^<!--\s*test:(.*?)-->\s*$/;
const SCRIPT_LANGS = new Set(["ts", "typescript", "js", "javascript", "mjs", "mts"]);
const WAITRESS_IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(?:jsr:|npm:)?@waitress\/core(?:@[^"'/]*)?\2/g;
/** The Hono entry point, `@waitress/core/hono`: pointed at this checkout's hono module. */
const HONO_IMPORT = /(["'])(?:jsr:|npm:)?@waitress\/core(?:@[^"'/]*)?\/hono\1/g;

/** Parses the text of a `<!-- test: ... -->` marker; throws a RangeError on anything it does not know. */
export function parseMarker(text: string): BlockMarker {
  const marker: BlockMarker = { runtimes: [], method: "GET", path: "/" };
  const rest = text.trim();
  if (/^skip\b/.test(rest)) {
    const reason = rest.slice(4).trim();
    if (reason === "") throw new RangeError(`The marker "test: ${rest}" needs a reason: <!-- test: skip WHY -->`);
    return { ...marker, skip: reason };
  }
  const tokens = [...rest.matchAll(/"([^"]*)"|(\S+)/g)];
  let i = 0;
  while (i < tokens.length && RUNTIMES.includes(tokens[i]![2] as Runtime)) marker.runtimes.push(tokens[i++]![2] as Runtime);
  if (i < tokens.length && /^[A-Z]+$/.test(tokens[i]![2] ?? "")) {
    marker.method = tokens[i++]![2]!;
    const path = tokens[i++]?.[2];
    if (path === undefined || !path.startsWith("/")) throw new RangeError(`The marker "test: ${rest}" needs a path starting with "/" after ${marker.method}`);
    marker.path = path;
    if (i < tokens.length && /^\d{3}$/.test(tokens[i]![2] ?? "")) marker.status = Number(tokens[i++]![2]);
    if (i < tokens.length && tokens[i]![1] !== undefined) marker.contains = tokens[i++]![1];
  }
  if (i < tokens.length) {
    throw new RangeError(`The marker "test: ${rest}" has "${tokens[i]![0]}" where it expects ` +
      '[node|deno|bun ...] [METHOD /path [STATUS ["text"]]], or "skip REASON"');
  }
  return marker;
}

/** The fenced code blocks of a Markdown text, with the marker before each (fences inside fences are text). */
export function extractBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s{0,3})(`{3,}|~{3,})\s*([^`\s]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^\\s{0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`).test(lines[j]!)) {
      body.push(lines[j]!);
      j++;
    }
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === "") k--;
    const m = k >= 0 ? MARKER.exec(lines[k]!.trim()) : null;
    const block: CodeBlock = { line: i + 1, lang: open[3]!.toLowerCase(), code: body.join("\n") + "\n" };
    if (m) block.marker = parseMarker(m[1]!);
    blocks.push(block);
    i = j;
  }
  return blocks;
}

/** Whether a block is a program to run: a script block that imports @waitress/core. */
export function isRunnable(block: CodeBlock): boolean {
  WAITRESS_IMPORT.lastIndex = 0;
  return SCRIPT_LANGS.has(block.lang) && block.marker?.skip === undefined && WAITRESS_IMPORT.test(block.code);
}

/** The block's code with its @waitress/core imports pointing at `target`. */
export function rewriteImports(code: string, target: string): string {
  return code.replace(WAITRESS_IMPORT, (_all, head: string) => `${head}${JSON.stringify(target)}`);
}

// ---------------------------------------------------------------- unit tests of the extractor

describe("README block extraction", () => {
  const sample = [
    "# Title",
    "```sh",
    "npm start",
    "```",
    "<!-- test: skip needs ./app.ts -->",
    "```ts",
    'serve(new URL("./app.ts", import.meta.url));',
    "```",
    "",
    '<!-- test: deno GET /users/7 200 "id" -->',
    "",
    "```ts",
    'import { serve } from "jsr:@waitress/core";',
    "```",
    "````md",
    "```ts",
    'import { serve } from "@waitress/core";',
    "```",
    "````",
    "~~~js",
    "import { serve } from '@waitress/core@0.1';",
    "~~~",
  ].join("\n");

  it("extractBlocks() finds every fence with its language, line and marker", () => {
    const blocks = extractBlocks(sample);
    assert.deepEqual(blocks.map((b) => [b.line, b.lang]), [[2, "sh"], [6, "ts"], [12, "ts"], [15, "md"], [20, "js"]]);
    assert.equal(blocks[1]!.marker?.skip, "needs ./app.ts");
    assert.deepEqual(blocks[2]!.marker, { runtimes: ["deno"], method: "GET", path: "/users/7", status: 200, contains: "id" });
    assert.equal(blocks[2]!.code, 'import { serve } from "jsr:@waitress/core";\n');
    assert.equal(blocks[3]!.code, '```ts\nimport { serve } from "@waitress/core";\n```\n', "a longer fence holds a shorter one");
    assert.equal(blocks[4]!.marker, undefined);
  });

  it("isRunnable() takes script blocks that import @waitress/core and are not skipped", () => {
    assert.deepEqual(extractBlocks(sample).map(isRunnable), [false, false, true, false, true]);
  });

  it("rewriteImports() points every form of the @waitress/core import at the local module", () => {
    const code = 'import { serve } from "@waitress/core";\nimport type { X } from \'jsr:@waitress/core@^0.1\';\n' +
      'export * from "npm:@waitress/core";\nawait import("@waitress/core");\nimport "@waitress/core";\nimport "@waitress/core-extra";\n';
    assert.equal(rewriteImports(code, "file:///x/shim.mjs"),
      'import { serve } from "file:///x/shim.mjs";\nimport type { X } from "file:///x/shim.mjs";\n' +
      'export * from "file:///x/shim.mjs";\nawait import("file:///x/shim.mjs");\nimport "file:///x/shim.mjs";\nimport "@waitress/core-extra";\n');
  });

  it("parseMarker() reads runtimes, a request, a status and a text; rejects what it does not know", () => {
    assert.deepEqual(parseMarker(" node bun "), { runtimes: ["node", "bun"], method: "GET", path: "/" });
    assert.deepEqual(parseMarker("POST /x 201"), { runtimes: [], method: "POST", path: "/x", status: 201 });
    assert.equal(parseMarker("skip placeholder app").skip, "placeholder app");
    assert.throws(() => parseMarker("skip"), /needs a reason/);
    assert.throws(() => parseMarker("GET users"), /path starting with "\/"/);
    assert.throws(() => parseMarker("GET / 200 extra"), /"extra"/);
    assert.throws(() => parseMarker("maybe"), /"maybe"/);
  });
});

// ---------------------------------------------------------------- the README's blocks

const root = repoRoot();
const README = readFileSync(join(root, "README.md"), "utf8");
const blocks = extractBlocks(README);
const scripts = blocks.filter((b) => SCRIPT_LANGS.has(b.lang));
const work = join(root, "dist", "readme_blocks", `${runtime}-${process.pid}`);
const shimPath = join(work, "waitress_shim.mjs");
const LISTENING = "README-TEST-LISTENING";

/** Re-exports the local module; serve()/createServer() listen on a free loopback port and say which. */
function shimSource(): string {
  const real = pathToFileURL(runtime === "node" ? join(root, "dist", "mod.js") : join(root, "mod.ts")).href;
  return `import * as real from ${JSON.stringify(real)};
export * from ${JSON.stringify(real)};
const loopback = (options = {}) => {
  const { host, port, listen, unixSocket, sockets, ...rest } = options;
  return { ...rest, host: "127.0.0.1", port: 0 };
};
const report = (server) => {
  server.ready.then(
    () => console.log(${JSON.stringify(LISTENING)} + " " + server.addresses[0].port),
    (error) => console.log("README-TEST-FAILED " + (error && error.message)),
  );
  return server;
};
export function serve(app, options) { return report(real.serve(app, loopback(options))); }
export function createServer(app, options) { return report(real.createServer(app, loopback(options))); }
`;
}

/** The block as a file this runtime runs: TypeScript as is on Deno and Bun, transpiled on Node. */
async function writeBlock(block: CodeBlock): Promise<string> {
  const hono = pathToFileURL(runtime === "node" ? join(root, "dist", "hono.js") : join(root, "hono.ts")).href;
  const local = block.code.replace(HONO_IMPORT, JSON.stringify(hono));
  const code = `// README.md line ${block.line}\n${rewriteImports(local, pathToFileURL(shimPath).href)}`;
  if (runtime !== "node") {
    const file = join(work, `block_${block.line}.ts`);
    await writeFile(file, code);
    return file;
  }
  // Node 20 cannot run TypeScript: strip the types with the typescript dev dependency.
  const name = "typescript";
  const ts = ((await import(name)) as { default: TypeScriptApi }).default;
  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  }).outputText;
  const file = join(work, `block_${block.line}.mjs`);
  await writeFile(file, js);
  return file;
}

/** The slice of the typescript package used here. */
interface TypeScriptApi {
  ModuleKind: { ESNext: number };
  ScriptTarget: { ES2022: number };
  transpileModule(code: string, options: { compilerOptions: Record<string, unknown> }): { outputText: string };
}

interface Program {
  output(): string;
  /** Resolves with the port once the block's server listens, or with undefined when it exits first. */
  listening: Promise<number | undefined>;
  exit: Promise<number | null>;
  kill(): Promise<void>;
}

function start(file: string): Program {
  const [command, argv] = runtimeCommand(file);
  const c = spawnChild(command, argv, { cwd: root });
  return {
    output: c.output,
    listening: outputMatch(c, new RegExp(`${LISTENING} (\\d+)`)).then((m) => (m ? Number(m[1]) : undefined)),
    exit: c.exit.then(({ code }) => code),
    kill: () => stopChild(c),
  };
}

const startsServer = (code: string) => /\b(serve|createServer)\s*\(/.test(code);
const firstLine = (code: string) => code.split("\n").find((l) => l.trim() !== "" && !l.startsWith("import"))?.trim().slice(0, 50) ?? "";

describe("README.md code blocks", () => {
  it("extractBlocks() finds runnable blocks in README.md", () => {
    assert.ok(scripts.some(isRunnable), "README.md has at least one ts/js block that imports @waitress/core");
  });

  it("every ts/js block of README.md runs, or is marked <!-- test: skip REASON -->", () => {
    const unmarked = scripts.filter((b) => !isRunnable(b) && b.marker?.skip === undefined);
    assert.deepEqual(unmarked.map((b) => `line ${b.line}: ${firstLine(b.code)}`), [],
      "these blocks import nothing from @waitress/core, so they cannot run: make them complete programs, " +
      "or put <!-- test: skip WHY --> on the line before the fence");
  });

  it("markers in README.md stand before script blocks only", () => {
    const stray = blocks.filter((b) => b.marker !== undefined && !SCRIPT_LANGS.has(b.lang));
    assert.deepEqual(stray.map((b) => `line ${b.line} (${b.lang})`), []);
  });

  describe(`README.md blocks run on ${runtime}`, () => {
    before(async () => {
      await mkdir(work, { recursive: true });
      await writeFile(shimPath, shimSource());
    });
    after(() => rm(work, { recursive: true, force: true }));

    for (const block of scripts.filter(isRunnable)) {
      const marker = block.marker ?? { runtimes: [], method: "GET", path: "/" };
      if (marker.runtimes.length > 0 && !marker.runtimes.includes(runtime)) continue;
      const expect = marker.status ?? "a status below 500";
      const serves = startsServer(block.code);
      const title = serves
        ? `README.md block at line ${block.line} (${firstLine(block.code)}) serves ${marker.method} ${marker.path} with ${expect}`
        : `README.md block at line ${block.line} (${firstLine(block.code)}) runs and exits 0`;
      it(title, async () => {
        const program = start(await writeBlock(block));
        try {
          if (!serves) {
            const code = await within(program.exit, 20000, () => `waiting for the block to finish; output:\n${program.output()}`);
            assert.equal(code, 0, program.output());
            return;
          }
          const port = await within(program.listening, 20000, () => `waiting for the block's server to listen; output:\n${program.output()}`);
          assert.ok(port !== undefined, `the block exited before listening:\n${program.output()}`);
          if (marker.method === "WS") {
            // A WebSocket round trip: open it at the path, send "hi", and expect a message with the text.
            const ws = await WsClient.open(port, marker.path);
            try {
              await ws.sendText("hi");
              const reply = textOf(await ws.frame(5000));
              assert.ok(reply.includes(marker.contains ?? ""), `the message contains ${JSON.stringify(marker.contains)}: ${reply}`);
            } finally {
              ws.destroy();
            }
            return;
          }
          const { response } = await exchange(port, `${marker.method} ${marker.path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
            { head: marker.method === "HEAD" });
          if (marker.status !== undefined) assert.equal(response.status, marker.status, `${response.rawHead}${response.text}`);
          else assert.ok(response.status < 500, `${response.status}: ${response.text}\n${program.output()}`);
          if (marker.contains !== undefined) {
            const body = new TextDecoder().decode(response.body);
            assert.ok(body.includes(marker.contains), `the body contains ${JSON.stringify(marker.contains)}: ${body}`);
          }
        } finally {
          await program.kill();
        }
      });
    }
  });
});
