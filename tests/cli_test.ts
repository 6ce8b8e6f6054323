/**
 * The `waitress-serve` CLI: src/cli/cli_main.ts with a fake environment (every error, help, app
 * references, config-file precedence, signals), and cli.ts started as a real child process on the
 * runtime running the tests (Node: dist/cli.js; Deno: `deno run -A cli.ts`; Bun: `bun cli.ts`).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { exchange, runtime, sleep, startServer, until } from "./_helpers.ts";
import { servingPort, signalChild, spawnCli, stopChild, within } from "./_child.ts";
import { appFailure, fakeEnv, fixtures, usageError } from "./_cli_env.ts";
import type { RequestInfo } from "../mod.ts";
import { SETTINGS } from "../src/settings/adjustments.ts";
import { cliHelp } from "../src/cli/cli_args.ts";
import {
  CLI_USAGE,
  dirnameOf,
  parseAppRef,
  prepareCli,
  resolvePath,
  runCli,
  type CliPlan,
} from "../src/cli/cli_main.ts";

// On Node the tests run from dist/ (built .js); on Deno and Bun from the .ts sources.
const ext = runtime === "node" ? ".js" : ".ts";
const sourceFixtures = fileURLToPath(new URL(runtime === "node" ? "../../tests/fixtures/" : "./fixtures/", import.meta.url))
  .replace(/[\\/]$/, "");
const testsDir = dirname(fixtures);
const APP = `cli_app${ext}`;
const FACTORY = `cli_app_factory${ext}`;

/** app.ini as this runtime can use it (Node imports the built .js fixture). */
async function iniText(): Promise<string> {
  return (await readFile(join(sourceFixtures, "app.ini"), "utf8")).replaceAll(".ts:", `${ext}:`);
}

const INFO: RequestInfo = {
  remoteAddress: "127.0.0.1", remotePort: 1, localAddress: "127.0.0.1", localPort: 2, scheme: "http",
  scriptName: "", pathInfo: "/x", rawTarget: "/x", httpVersion: "HTTP/1.1", serverName: "waitress.invalid",
};

async function respond(plan: CliPlan, path = "/x"): Promise<string> {
  assert.equal(plan.kind, "serve");
  if (plan.kind !== "serve") throw new Error("unreachable");
  const response = await plan.handler(new Request(`http://localhost${path}`), INFO);
  return await response.text();
}

describe("parseAppRef()", () => {
  it("parseAppRef() splits MODULE:EXPORT and dotted exports", () => {
    assert.deepEqual(parseAppRef("./app.ts:handler"), { module: "./app.ts", exportPath: ["handler"] });
    assert.deepEqual(parseAppRef("app.ts:app.fetch"), { module: "app.ts", exportPath: ["app", "fetch"] });
    assert.deepEqual(parseAppRef("pkg/sub:default.fetch"), { module: "pkg/sub", exportPath: ["default", "fetch"] });
  });

  it("parseAppRef() uses the default export without :EXPORT", () => {
    assert.deepEqual(parseAppRef("./app.ts"), { module: "./app.ts", exportPath: ["default"] });
    assert.deepEqual(parseAppRef("hono"), { module: "hono", exportPath: ["default"] });
  });

  it("parseAppRef() keeps scheme and drive-letter colons in the module", () => {
    assert.deepEqual(parseAppRef("npm:hono"), { module: "npm:hono", exportPath: ["default"] });
    assert.deepEqual(parseAppRef("npm:my-app@1:app"), { module: "npm:my-app@1", exportPath: ["app"] });
    assert.deepEqual(parseAppRef("jsr:@scope/app"), { module: "jsr:@scope/app", exportPath: ["default"] });
    assert.deepEqual(parseAppRef("C:\\srv\\app.js"), { module: "C:\\srv\\app.js", exportPath: ["default"] });
    assert.deepEqual(parseAppRef("C:\\srv\\app.js:handler"), { module: "C:\\srv\\app.js", exportPath: ["handler"] });
    assert.deepEqual(parseAppRef("file:///srv/app.js:handler"), { module: "file:///srv/app.js", exportPath: ["handler"] });
  });

  it("parseAppRef() rejects an empty or malformed export", () => {
    assert.throws(() => parseAppRef("app.ts:"), /Malformed application "app.ts:": expected MODULE\[:EXPORT\]/);
    assert.throws(() => parseAppRef("app.ts:1x"), /Malformed application "app.ts:1x"/);
    assert.throws(() => parseAppRef(""), /The application is empty/);
  });
});

describe("resolvePath() and dirnameOf()", () => {
  it("resolvePath() joins relative paths and normalises . and ..", () => {
    assert.equal(resolvePath("/srv/app", "x.ts"), "/srv/app/x.ts");
    assert.equal(resolvePath("/srv/app/", "./x.ts"), "/srv/app/x.ts");
    assert.equal(resolvePath("/srv/app", "../lib/./x.ts"), "/srv/lib/x.ts");
    assert.equal(resolvePath("/srv/app", "/abs/x.ts"), "/abs/x.ts");
    assert.equal(resolvePath("/", "../../x.ts"), "/x.ts");
    assert.equal(resolvePath("C:\\srv", "app\\x.js"), "C:\\srv/app/x.js");
  });

  it("dirnameOf() returns the directory of a path", () => {
    assert.equal(dirnameOf("/srv/app/app.ini"), "/srv/app");
    assert.equal(dirnameOf("/app.ini"), "/");
    assert.equal(dirnameOf("C:\\app.ini"), "C:\\");
  });
});

describe("prepareCli() app references", () => {
  it("prepareCli() serves the default export without :EXPORT", async () => {
    const fake = fakeEnv();
    assert.equal(await respond(await prepareCli([APP], fake.env)), "default");
    assert.deepEqual(fake.imports, [{ kind: "file", path: join(fixtures, APP) }]);
  });

  it("prepareCli() serves a named handler, with or without ./ and from an absolute path", async () => {
    for (const ref of [`${APP}:handler`, `./${APP}:handler`, `${join(fixtures, APP)}:handler`]) {
      assert.equal(await respond(await prepareCli([ref], fakeEnv().env)), "handler GET /x HTTP/1.1");
    }
  });

  it("prepareCli() resolves the module relative to the working directory", async () => {
    const fake = fakeEnv({ cwd: testsDir });
    assert.equal(await respond(await prepareCli([`fixtures/${APP}:handler`], fake.env)), "handler GET /x HTTP/1.1");
  });

  it("prepareCli() serves an object with a fetch method, keeping its this", async () => {
    assert.equal(await respond(await prepareCli([`${APP}:app`], fakeEnv().env)), "app.fetch");
  });

  it("prepareCli() serves a dotted export (app.fetch, default.fetch) bound to its object", async () => {
    assert.equal(await respond(await prepareCli([`${APP}:app.fetch`], fakeEnv().env)), "app.fetch");
    assert.equal(await respond(await prepareCli([`${APP}:default.fetch`], fakeEnv().env)), "default");
  });

  it("prepareCli() calls the export with --call (an async factory)", async () => {
    assert.equal(await respond(await prepareCli(["--call", `${APP}:factory`], fakeEnv().env)), "factory");
    assert.equal(await respond(await prepareCli([FACTORY, "--call"], fakeEnv().env), "/made"), "created /made");
  });

  it("prepareCli() takes the app from --app", async () => {
    assert.equal(await respond(await prepareCli([`--app=${APP}:app`], fakeEnv().env)), "app.fetch");
  });

  it("prepareCli() resolves a bare name as a package when no such file exists", async () => {
    const fake = fakeEnv({ importModule: () => Promise.resolve({ default: () => new Response("from package") }) });
    assert.equal(await respond(await prepareCli(["some-package/app"], fake.env)), "from package");
    assert.deepEqual(fake.imports, [{ kind: "package", specifier: "some-package/app", fromDir: fixtures }]);
  });

  it("prepareCli() passes npm: and jsr: specifiers on as packages, file: URLs as URLs", async () => {
    const fake = fakeEnv({
      importModule: () => Promise.resolve({ default: () => new Response("ok"), app: { fetch: () => new Response("ok") } }),
    });
    await prepareCli(["npm:some-app@1:app"], fake.env);
    await prepareCli(["file:///srv/app.js"], fake.env);
    assert.deepEqual(fake.imports, [
      { kind: "package", specifier: "npm:some-app@1", fromDir: fixtures },
      { kind: "url", url: "file:///srv/app.js" },
    ]);
  });

  it("prepareCli() joins repeated --listen flags and defaults the log level to info", async () => {
    const plan = await prepareCli(["--listen=127.0.0.1:0", "--listen", "[::1]:0", APP], fakeEnv().env);
    assert.equal(plan.kind, "serve");
    if (plan.kind !== "serve") return;
    assert.equal(plan.options.listen, "127.0.0.1:0 [::1]:0");
    assert.equal(plan.options.logLevel, "info");
    assert.equal(plan.logLevel, "info");
  });

  it("prepareCli() accepts every setting flag from the table", async () => {
    const plan = await prepareCli(["--port=8081", "--no-ipv6", "--threads=2", "--expose-tracebacks", "--log-level=DEBUG",
      "--max-request-body-size=1024", APP], fakeEnv().env);
    assert.equal(plan.kind, "serve");
    if (plan.kind !== "serve") return;
    assert.deepEqual(plan.options, { port: "8081", ipv6: false, threads: "2", exposeTracebacks: true, logLevel: "DEBUG",
      maxRequestBodySize: "1024" });
    assert.equal(plan.logLevel, "debug");
  });
});

describe("prepareCli() with --config", () => {
  async function withIni(argv: string[], text?: string): Promise<CliPlan & { kind: "serve" }> {
    const fake = fakeEnv({ cwd: testsDir, files: { [join(fixtures, "app.ini")]: text ?? (await iniText()) } });
    const plan = await prepareCli(argv, fake.env);
    assert.equal(plan.kind, "serve");
    return plan as CliPlan & { kind: "serve" };
  }

  it("prepareCli() reads settings, the app (relative to the ini file) and the log level from the file", async () => {
    const plan = await withIni(["--config", "fixtures/app.ini"]);
    assert.deepEqual(plan.options, { listen: "127.0.0.1:0", ident: "from-ini", threads: "2", logLevel: "info" });
    assert.equal(plan.app, `cli_app${ext}:app`);
    assert.equal(await respond(plan), "app.fetch");
  });

  it("prepareCli() lets command-line settings override the file", async () => {
    const plan = await withIni(["--config=fixtures/app.ini", "--ident=from-cli", "--log-level=debug"]);
    assert.equal(plan.options.ident, "from-cli");
    assert.equal(plan.options.threads, "2");
    assert.equal(plan.logLevel, "debug");
  });

  it("prepareCli() replaces the file's listen with a command-line host or port", async () => {
    const plan = await withIni(["--config=fixtures/app.ini", "--port=0", "--host=127.0.0.1"]);
    assert.equal(plan.options.listen, undefined);
    assert.equal(plan.options.port, "0");
    assert.equal(plan.options.host, "127.0.0.1");
    const text = (await iniText()).replace("listen = 127.0.0.1:0", "host = 127.0.0.1\nport = 0");
    const listened = await withIni(["--config=fixtures/app.ini", "--listen=[::1]:0"], text);
    assert.equal(listened.options.host, undefined);
    assert.equal(listened.options.port, undefined);
    assert.equal(listened.options.listen, "[::1]:0");
  });

  it("prepareCli() lets a positional app override the file's app (relative to the working directory)", async () => {
    const plan = await withIni(["--config=fixtures/app.ini", `fixtures/${APP}:handler`]);
    assert.equal(plan.app, `fixtures/${APP}:handler`);
    assert.equal(await respond(plan), "handler GET /x HTTP/1.1");
  });

  it("prepareCli() takes log_level from [server:main] over [logger_waitress]", async () => {
    const text = (await iniText()).replace("threads = 2", "log_level = error");
    assert.equal((await withIni(["--config=fixtures/app.ini"], text)).logLevel, "error");
    const noLogger = (await iniText()).replace(/\[logger_waitress\][^]*$/, "");
    assert.equal((await withIni(["--config=fixtures/app.ini"], noLogger)).logLevel, "info");
  });
});

describe("runCli() errors", () => {
  it("runCli() prints --help to stdout and exits 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const fake = fakeEnv();
      assert.equal(await runCli([flag], fake.env), undefined);
      assert.deepEqual(fake.exits, [0]);
      assert.equal(fake.err, "");
      assert.equal(fake.out, cliHelp("waitress-serve"));
    }
  });

  it("runCli() --help lists every CLI setting with its default", async () => {
    const fake = fakeEnv();
    await runCli(["--help"], fake.env);
    // Each option is "  --flag...\n" followed by its help lines, indented 8 spaces.
    const entry = (usage: string) => {
      const at = fake.out.indexOf(`  ${usage}\n`);
      assert.ok(at >= 0, `${usage} in --help`);
      const block = /^(?: {8}.*\n)+/.exec(fake.out.slice(at + usage.length + 3))?.[0] ?? "";
      return block.replace(/\s+/g, " ").trim();
    };
    for (const spec of SETTINGS.filter((s) => s.cli)) {
      const usage = spec.kind === "bool" ? `--[no-]${spec.flag}` : spec.kind === "boolOrString"
        ? `--[no-]${spec.flag}[=${spec.metavar}]` : `--${spec.flag}=${spec.metavar}`;
      // The CLI's log level is info (the table's "warning" is createServer()'s).
      const dflt = spec.name === "logLevel" ? "info" : spec.default === true ? "on" : spec.default === false ? "off" : spec.defaultText;
      // Settings named in a default are named by their flags too.
      const shown = dflt.replaceAll("trustedProxy", "--trusted-proxy");
      assert.ok(entry(usage).endsWith(`Default: ${shown}.`), `--${spec.flag} shows its default ${shown}`);
    }
    assert.ok(entry("--[no-]ipv6").endsWith("Default: on."));
    assert.ok(entry("--port=PORT").endsWith("Default: 8080."));
  });

  it("runCli() reports a missing app", async () => {
    assert.equal(await usageError([]), "No application given: pass MODULE[:EXPORT], e.g. ./app.mjs or ./app.ts:handler");
  });

  it("runCli() reports two apps", async () => {
    assert.equal(await usageError(["a.ts:app", "b.ts:app"]), 'Specify one application only; got "a.ts:app", "b.ts:app"');
    assert.equal(await usageError(["--app=a.ts:app", "b.ts"]), 'Specify one application only; got "a.ts:app", "b.ts"');
  });

  it("runCli() reports an unknown flag, with a suggestion", async () => {
    assert.equal(await usageError(["--bogus-flag", APP]), "option --bogus-flag not recognized");
    assert.equal(await usageError(["--prot=80", APP]), "option --prot not recognized; did you mean --port?");
  });

  it("runCli() reports a module file that does not exist", async () => {
    assert.equal(await usageError(["nope.ts:app"]), `Module "nope.ts" not found: no file at ${JSON.stringify(join(fixtures, "nope.ts"))}`);
  });

  it("runCli() reports a package that cannot be found", async () => {
    const missing = Object.assign(new Error("Cannot find package 'no-such-pkg' imported from /x.js"), { code: "ERR_MODULE_NOT_FOUND" });
    const importModule = () => Promise.reject(missing);
    assert.equal(await usageError(["no-such-pkg:app"], { importModule }),
      "Module \"no-such-pkg\" not found: Cannot find package 'no-such-pkg' imported from /x.js");
  });

  it("runCli() reports a package missing on this runtime", async () => {
    assert.match(await usageError(["no-such-package-waitress-cli-test:app"]),
      /^Module "no-such-package-waitress-cli-test" not found: /);
  });

  it("runCli() reports a module that throws while loading", async () => {
    const thrown = new SyntaxError("Unexpected token '}'\n    at file.js:3");
    const importModule = () => Promise.reject(thrown);
    // Not a usage error: no usage lines, and the stack says where.
    assert.deepEqual(await appFailure([`${APP}:app`], { importModule }),
      { line: `Importing "${APP}" failed: Unexpected token '}'`, detail: `${thrown.stack!.trimEnd()}\n` });
  });

  it("runCli() reports a missing export, listing the module's exports", async () => {
    const exports = '"app", "badFactory", "default", "factory", "handler", "notHandler"';
    assert.equal(await usageError([`${APP}:nope`]),
      `Module "${APP}" has no export "nope" (it exports ${exports}); name one with MODULE:EXPORT`);
    const importModule = () => Promise.resolve({ handler: () => new Response("x") });
    assert.equal(await usageError(["x.mjs"], { importModule, files: { [join(fixtures, "x.mjs")]: "" } }),
      'Module "x.mjs" has no default export (it exports "handler"); name one with MODULE:EXPORT');
  });

  it("runCli() reports a missing property of a dotted export", async () => {
    assert.equal(await usageError([`${APP}:app.nope`]), `Export "app" of "${APP}" has no property "nope"`);
    assert.equal(await usageError([`${APP}:notHandler.fetch`]), `Export "notHandler" of "${APP}" has no property "fetch"`);
  });

  it("runCli() reports an export that is not a handler", async () => {
    assert.equal(await usageError([`${APP}:notHandler`]),
      `Export "notHandler" of "${APP}" is a number, not a handler: export a function (request, info) => Response ` +
        "or an object with a fetch method, or pass --call if it is a factory");
    assert.match(await usageError([`${APP}:app.name`]), /^Export "app.name" of ".*" is a string, not a handler/);
  });

  it("runCli() reports --call on an export that is not a function, or a factory returning no app", async () => {
    assert.equal(await usageError(["--call", `${APP}:app`]),
      `Export "app" of "${APP}" is an object, not a function: --call needs a factory that ` +
        "returns the app; drop --call to serve the export itself");
    assert.equal(await usageError(["--call", `${APP}:badFactory`]),
      `Export "badFactory" of "${APP}", called with --call, returned a number, not a handler: the factory must ` +
        "return a function (request, info) => Response or an object with a fetch method");
  });

  it("runCli() reports a bad setting value before importing the app", async () => {
    const fake = fakeEnv();
    await runCli(["--port=abc", APP], fake.env);
    assert.equal(fake.err, `Error: Invalid value "abc" for setting --port: expected a whole number from 0 to 65535\n${CLI_USAGE}`);
    assert.deepEqual(fake.exits, [1]);
    assert.deepEqual(fake.imports, []);
    assert.equal(await usageError(["--log-level=loud", APP]),
      'Invalid value "loud" for setting --log-level: use one of debug, info, warning, error');
    assert.match(await usageError(["--listen=127.0.0.1:0", "--port=80", APP]), /^Settings --listen and --port cannot be used together/);
  });

  it("runCli() reports a malformed app reference", async () => {
    assert.equal(await usageError([`${APP}:`]), `Malformed application "${APP}:": expected MODULE[:EXPORT] with EXPORT a name or a dotted path, e.g. ./app.ts or ./app.ts:app.fetch`);
  });

  it("runCli() reports config file problems", async () => {
    assert.match(await usageError(["--config=missing.ini"]), /^Cannot read config file "missing\.ini": /);
    const dir = fixtures;
    const files = (text: string) => ({ files: { [join(dir, "bad.ini")]: text } });
    assert.equal(await usageError(["--config=bad.ini", APP], files("[server:main]\nprot = 80\n")),
      'Config file "bad.ini": Unknown setting "prot" in [server:main] (line 2): did you mean "port"?');
    assert.equal(await usageError(["--config=bad.ini", APP], files("[app:main]\nx = 1\n")),
      'Config file "bad.ini": The config file has no [server:main] section (sections found: [app:main]); ' +
        "put the settings under [server:main]");
    assert.equal(await usageError(["--config=bad.ini", APP], files("[server:main]\nnot a line\n")),
      'Config file "bad.ini": line 2: expected "key = value", got "not a line"');
    assert.equal(await usageError(["--config=bad.ini"], files("[server:main]\nport = 0\n")),
      'No application given: pass MODULE[:EXPORT], e.g. ./app.mjs or ./app.ts:handler, or set "app = MODULE[:EXPORT]" in ' +
        '[server:main] of "bad.ini"');
    assert.equal(await usageError(["--config=bad.ini", APP], files("[server:main]\nport = -1\n")),
      'Setting "port" must be from 0 to 65535 (0 picks a free port); got "-1"');
  });
});

describe("runCli() serving", () => {
  it("runCli() serves the app, logs Serving on at info, and exits 0 on SIGTERM", async () => {
    const fake = fakeEnv();
    const server = await runCli(["--listen=127.0.0.1:0", `${APP}:handler`], fake.env);
    assert.ok(server);
    try {
      const port = server.addresses[0]!.port;
      assert.ok(fake.logs.some((l) => l.includes(`Serving on http://127.0.0.1:${port}`)), fake.logs.join("\n"));
      const { response } = await exchange(port, "GET /hi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.text, "handler GET /hi HTTP/1.1");
      assert.deepEqual([...fake.signals.keys()].sort(), ["SIGHUP", "SIGINT", "SIGTERM"]);
      fake.signals.get("SIGTERM")!();
      assert.equal(await fake.exited, 0);
      await server.finished;
      assert.deepEqual(fake.exits, [0]);
      assert.equal(fake.err, "");
    } finally {
      await server.close();
    }
  });

  it("runCli() exits 0 on SIGINT, and at once with 1 on a second signal", async () => {
    const fake = fakeEnv();
    const server = await runCli(["--host=127.0.0.1", "--port=0", APP], fake.env);
    assert.ok(server);
    try {
      fake.signals.get("SIGINT")!();
      fake.signals.get("SIGINT")!();
      assert.equal(await fake.exited, 1);
      assert.match(fake.err, /^Error: SIGINT received again while shutting down/);
      await server.finished;
      await until(() => fake.exits.length === 2, "the exit after close()", 2000);
      assert.deepEqual(fake.exits, [1, 0]);
    } finally {
      await server.close();
    }
  });

  it("runCli() serves every repeated --listen", async () => {
    const fake = fakeEnv();
    const server = await runCli(["--listen=127.0.0.1:0", "--listen=127.0.0.1:0", `${APP}:app`], fake.env);
    assert.ok(server);
    try {
      assert.equal(server.addresses.length, 2);
      for (const { port } of server.addresses) {
        const { response } = await exchange(port, "GET / HTTP/1.0\r\n\r\n");
        assert.equal(response.text, "app.fetch");
      }
      assert.equal(fake.logs.filter((l) => l.includes("Serving on")).length, 2);
    } finally {
      await server.close();
    }
  });

  it("runCli() logs nothing at info with --log-level=warning", async () => {
    const fake = fakeEnv();
    const server = await runCli(["--listen=127.0.0.1:0", "--log-level=warning", APP], fake.env);
    assert.ok(server);
    await server.close();
    assert.deepEqual(fake.logs, []);
  });

  it("runCli() reports a port in use in one line and exits 1", async () => {
    const other = await startServer(() => new Response("other"));
    try {
      const fake = fakeEnv();
      const server = await runCli([`--listen=127.0.0.1:${other.port}`, APP], fake.env);
      assert.equal(server, undefined);
      assert.deepEqual(fake.exits, [1]);
      assert.equal(fake.err, `Error: Cannot listen on 127.0.0.1:${other.port}: the address is already in use (another server is listening on it)\n`);
    } finally {
      await other.close();
    }
  });
});

// ---------------------------------------------------------------- the real command

describe("waitress-serve as a child process", () => {
  it("waitress-serve serves a fixture app and exits 0 on SIGTERM", async () => {
    const c = spawnCli(["--listen=127.0.0.1:0", `${APP}:handler`], fixtures);
    try {
      const port = await servingPort(c);
      const { response } = await exchange(port, "GET /child HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.status, 200);
      assert.equal(response.text, "handler GET /child HTTP/1.1");
      signalChild(c, "SIGTERM");
      const { code } = await within(c.exit, 10000, () => `waiting for exit after SIGTERM:\n${c.output()}`);
      assert.equal(code, 0, c.output());
    } finally {
      await stopChild(c);
    }
  });

  it("waitress-serve exits 0 on SIGINT", async () => {
    const c = spawnCli(["--host=127.0.0.1", "--port=0", `./${APP}`], fixtures);
    try {
      const port = await servingPort(c);
      const { response } = await exchange(port, "GET / HTTP/1.0\r\n\r\n");
      assert.equal(response.text, "default");
      signalChild(c, "SIGINT");
      const { code } = await within(c.exit, 10000, () => `waiting for exit after SIGINT:\n${c.output()}`);
      assert.equal(code, 0, c.output());
    } finally {
      await stopChild(c);
    }
  });

  it("waitress-serve --config serves the file's app with command-line overrides", async () => {
    const dir = await mkdtemp(join(tmpdir(), "waitress-cli-"));
    // The app path in the file is relative to the file's directory.
    const appPath = relative(dir, join(fixtures, APP)).replaceAll("\\", "/");
    await writeFile(join(dir, "app.ini"), (await iniText()).replace(/^app = .*$/m, `app = ${appPath}:app`));
    const c = spawnCli(["--config", join(dir, "app.ini"), "--ident=from-cli"], testsDir);
    try {
      const port = await servingPort(c);
      const { response } = await exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.text, "app.fetch");
      assert.equal(response.header("server"), "from-cli");
      signalChild(c, "SIGTERM");
      const { code } = await within(c.exit, 10000, () => `waiting for exit after SIGTERM:\n${c.output()}`);
      assert.equal(code, 0, c.output());
    } finally {
      await stopChild(c);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("waitress-serve prints a one-line error and the usage, and exits 1", async () => {
    const c = spawnCli([`${APP}:nope`], fixtures);
    try {
      const { code } = await within(c.exit, 15000, () => `waiting for the CLI to fail:\n${c.output()}`);
      assert.equal(code, 1);
      assert.equal(c.output(), `Error: Module "${APP}" has no export "nope" (it exports "app", "badFactory", "default", ` +
        `"factory", "handler", "notHandler"); name one with MODULE:EXPORT\n${CLI_USAGE}`);
    } finally {
      await stopChild(c);
    }
  });

  it("waitress-serve --help prints the help and exits 0", async () => {
    const c = spawnCli(["--help"], fixtures);
    try {
      const { code } = await within(c.exit, 15000, () => `waiting for --help:\n${c.output()}`);
      assert.equal(code, 0);
      assert.equal(c.output(), cliHelp("waitress-serve"));
    } finally {
      await stopChild(c);
    }
  });

  it("waitress-serve exits 1 with a one-line error when the port is in use", async () => {
    const other = await startServer(() => new Response("other"));
    const c = spawnCli([`--listen=127.0.0.1:${other.port}`, APP], fixtures);
    try {
      const { code } = await within(c.exit, 15000, () => `waiting for the CLI to fail:\n${c.output()}`);
      assert.equal(code, 1);
      assert.equal(c.output(), `Error: Cannot listen on 127.0.0.1:${other.port}: the address is already in use (another server is listening on it)\n`);
    } finally {
      await stopChild(c);
      await other.close();
    }
  });
});
