/**
 * What `waitress-serve` and `serve()` tell their user (issue 14.6, 14.7, 14.8, 14.10): an app that
 * throws at import is shown with its stack and without the usage; a listener that cannot be bound is
 * named the same way on every runtime; `--help` is right about defaults, lists each group once and
 * names settings as flags; `--version` prints the package's version; `serve()` says where it listens.
 * Child processes and servers on every runtime.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureLog, exchange, runtime, startServer } from "./_helpers.ts";
import { servingPort, spawnCli, stopChild, within } from "./_child.ts";
import { CLI_USAGE, runCli } from "../src/cli/cli_main.ts";
import { resolveSettings, SETTINGS } from "../src/settings/adjustments.ts";
import { cliHelp } from "../src/cli/cli_args.ts";
import { fakeEnv, fixtures } from "./_cli_env.ts";
import { VERSION } from "../src/version.ts";
import { listenError, tcpWhere } from "../adapters/shared/listen_error.ts";
import { createServer, serve } from "../mod.ts";
import { repoRoot } from "./_root.ts";

const temps: string[] = [];
after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

/** A temp directory with the given files. */
async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "waitress-messages-"));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/** Runs the CLI to its end; its exit code and output. */
async function runToEnd(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  const c = spawnCli(args, cwd);
  try {
    const { code } = await within(c.exit, 20000, () => `waiting for waitress-serve ${args.join(" ")}:\n${c.output()}`);
    return { code, output: c.output() };
  } finally {
    await stopChild(c);
  }
}

describe("waitress-serve: an app that fails to import", () => {
  it("prints the error, then the stack with the app's file and line, and no usage; exit 1", async () => {
    const dir = await dirWith({
      "deepthrow.mjs": [
        "const config = undefined;",
        "function readPort() {",
        "  return config.port;",
        "}",
        "export const port = readPort();",
        "export default () => new Response(String(port));",
        "",
      ].join("\n"),
    });
    const { code, output } = await runToEnd(["deepthrow.mjs"], dir);
    assert.equal(code, 1, output);
    const [first, second] = output.split("\n");
    // Each engine words the TypeError its own way (V8: "Cannot read properties of undefined").
    assert.match(first!, /^Error: Importing "deepthrow\.mjs" failed: \S/);
    assert.match(second!, /^TypeError: /, "the thrown error follows");
    assert.match(output, /deepthrow\.mjs:\d+:\d+/, "the stack names the app's file, line and column");
    assert.match(output, /readPort/, "and the function that threw");
    assert.ok(!output.includes("Usage:"), `no usage for an app failure:\n${output}`);
  });

  it("a --call factory that throws is shown the same way, with the error's cause", async () => {
    const dir = await dirWith({
      "factory.mjs": 'export function make() {\n  throw new Error("no database", { cause: new RangeError("port 99999") });\n}\n',
    });
    const { code, output } = await runToEnd(["--call", "factory.mjs:make"], dir);
    assert.equal(code, 1, output);
    assert.match(output, /^Error: Calling export "make" of "factory\.mjs" \(--call\) failed: no database\nError: no database\n/);
    assert.match(output, /factory\.mjs:2:\d+/);
    assert.match(output, /^Caused by: RangeError: port 99999$/m);
    assert.ok(!output.includes("Usage:"));
  });

  it("a module that is not there is still a usage error (the command line is wrong): usage, no stack", async () => {
    const dir = await dirWith({});
    const { code, output } = await runToEnd(["./missing.mjs"], dir);
    assert.equal(code, 1);
    assert.equal(output, `Error: Module "./missing.mjs" not found: no file at ${JSON.stringify(join(dir, "missing.mjs").replaceAll("\\", "/"))}\n${CLI_USAGE}`);
  });
});

describe("a port in use, in the same words on every runtime", () => {
  const inUse = (port: number, host = "127.0.0.1") =>
    `Cannot listen on ${tcpWhere(host, port)}: the address is already in use (another server is listening on it)`;

  it("createServer(): server.ready rejects naming the address and port, with the code kept", async () => {
    const other = await startServer(() => new Response("other"));
    try {
      const server = createServer(() => new Response("x"), { host: "127.0.0.1", port: other.port, logger: captureLog().sink });
      const error = await server.ready.then(() => undefined, (e: unknown) => e as Error & { code?: string; cause?: unknown });
      assert.ok(error instanceof Error, "ready rejects");
      assert.equal(error.message, inUse(other.port));
      assert.equal(error.code, "EADDRINUSE");
      assert.ok(error.cause instanceof Error, "the runtime's own error is the cause");
      await server.close();
    } finally {
      await other.close();
    }
  });

  it("waitress-serve: one line, `Error: Cannot listen on 127.0.0.1:PORT: ...`, exit 1", async () => {
    const other = await startServer(() => new Response("other"));
    try {
      const dir = await dirWith({ "ok.mjs": "export default () => new Response('ok');\n" });
      const { code, output } = await runToEnd([`--listen=127.0.0.1:${other.port}`, "ok.mjs"], dir);
      assert.equal(code, 1);
      assert.equal(output, `Error: ${inUse(other.port)}\n`);
    } finally {
      await other.close();
    }
  });

  it("listenError() words permission denied and a foreign address, and keeps other reasons", () => {
    const coded = (code: string, message = "x") => Object.assign(new Error(message), { code });
    assert.equal(listenError(coded("EACCES"), "0.0.0.0:80").message,
      "Cannot listen on 0.0.0.0:80: permission denied (ports below 1024 need privileges)");
    assert.equal(listenError(coded("EADDRNOTAVAIL"), "[fe80::9]:8080").message,
      "Cannot listen on [fe80::9]:8080: the address is not available on this machine");
    assert.equal(listenError(coded("EINVAL", "bad"), "unix:/tmp/s").message, "Cannot listen on unix:/tmp/s: bad");
    assert.equal(listenError("text", "h:1").message, "Cannot listen on h:1: text");
    const own = new Error('Cannot listen on unix socket "/tmp/s": another server is listening on it');
    assert.equal(listenError(own, "unix:/tmp/s"), own, "a message that already says where stays as it is");
    assert.equal(tcpWhere("::1", 8080), "[::1]:8080");
  });
});

describe("waitress-serve --help and --version", () => {
  const help = cliHelp("waitress-serve");

  it("--help shows the CLI's log level default, info", () => {
    assert.match(help, /--log-level=LEVEL\n[^]*?Default: info\.\n/);
    assert.ok(!/--log-level=LEVEL\n[^-]*Default: warning/.test(help));
  });

  it("--help lists each group once, every setting under its own group", () => {
    const headings = help.split("\n").filter((line) => /^[A-Z][A-Za-z ]+:$/.test(line));
    assert.deepEqual(headings, [...new Set(headings)], "no heading twice");
    for (const group of new Set(SETTINGS.filter((s) => s.cli).map((s) => s.group))) {
      assert.ok(headings.includes(`${group}:`), `${group} is listed`);
    }
    const limits = help.slice(help.indexOf("\nLimits:\n"), help.indexOf("\nTimeouts:\n"));
    assert.ok(limits.includes("--max-lookahead-bytes="), "maxLookaheadBytes sits under Limits, its group");
  });

  it("--help names settings by their --flags, not their serve() names", () => {
    const camel = SETTINGS.filter((s) => /[A-Z]/.test(s.name)).map((s) => s.name);
    for (const name of camel) assert.ok(!new RegExp(`\\b${name}\\b`).test(help), `--help says ${name}`);
    const flat = help.replace(/\s+/g, " ");
    assert.match(flat, /Requires --trusted-proxy\./);
    assert.match(flat, /--port=PORT TCP port to listen on; 0 picks a free port\. Not combinable with --listen or --unix-socket\./);
    // No programmatic-only setting: `sockets` has no flag (systemd's come with --systemd-sockets).
    assert.ok(!/--sockets\b/.test(help) && !/Not combinable with[^.]*\bsockets\b/.test(flat), "no programmatic-only setting");
  });

  it("--help's usage says MODULE[:EXPORT], as the errors do, and lists --version", () => {
    assert.ok(help.startsWith("Usage:\n\n    waitress-serve [OPTIONS] MODULE[:EXPORT]\n    waitress-serve --config FILE [OPTIONS] [MODULE[:EXPORT]]\n"));
    assert.ok(!/MODULE:EXPORT/.test(help));
    assert.ok(!/MODULE:EXPORT/.test(CLI_USAGE));
    assert.match(help, /^ {2}--version\n {8}Print the version and exit\.$/m);
    assert.match(help, /SIGINT, SIGTERM and SIGHUP stop the server gracefully/);
  });

  it("src/version.ts holds package.json's version, and jsr.json agrees", () => {
    const root = repoRoot();
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string; scripts: Record<string, string> };
    const jsr = JSON.parse(readFileSync(join(root, "jsr.json"), "utf8")) as { version: string };
    assert.equal(VERSION, pkg.version, "run `node tools/gen_version.mjs` (npm's prebuild does)");
    assert.equal(jsr.version, pkg.version);
    assert.equal(pkg.scripts.prebuild, "node tools/gen_version.mjs");
  });

  it("waitress-serve --version prints the version and exits 0", async () => {
    const { code, output } = await runToEnd(["--version"], await dirWith({}));
    assert.equal(code, 0);
    assert.equal(output, `waitress-serve (@waitress/core) ${VERSION}\n`);
  });
});

describe("settings warnings name settings as the user wrote them", () => {
  const app = "data:text/javascript,export default () => new Response('ok')";
  const warningsOf = async (argv: string[], files: Record<string, string> = {}) => {
    const fake = fakeEnv({ files });
    const server = await runCli(argv, fake.env);
    assert.ok(server, fake.err);
    await server.close();
    return fake.logs.filter((line) => line.startsWith("waitress WARNING: "));
  };

  it("on the command line as --flags", async () => {
    assert.deepEqual(await warningsOf(["--send-bytes=2", "--asyncore-use-poll", "--trusted-proxy=127.0.0.1", "--listen=127.0.0.1:0", app]), [
      "waitress WARNING: --send-bytes is deprecated (as in Waitress) and has no effect; remove it.",
      "waitress WARNING: --asyncore-use-poll has no effect in this server (it only exists for Waitress compatibility); remove it.",
      "waitress WARNING: --trusted-proxy is set but --trusted-proxy-headers is empty: implicitly trusting X-Forwarded-Proto " +
        "only (as Waitress does). Set --trusted-proxy-headers to silence this warning.",
    ]);
  });

  it("in a config file as its keys; for serve() as option names", async () => {
    const ini = join(fixtures, "warn.ini");
    assert.deepEqual(await warningsOf(["--config", ini, "--listen=127.0.0.1:0", app], { [ini]: "[server:main]\nsend_bytes = 2\n" }),
      ['waitress WARNING: "send_bytes" is deprecated (as in Waitress) and has no effect; remove it.']);
    assert.deepEqual(resolveSettings({ sendBytes: 2 }).warnings, ["sendBytes is deprecated (as in Waitress) and has no effect; remove it."]);
  });
});

describe("serve() says where it listens", () => {
  it("serve() logs `Serving on` at info by default; createServer() and logLevel warning do not", async () => {
    const app = () => new Response("ok");
    for (const [make, shown] of [
      [(sink: ReturnType<typeof captureLog>["sink"]) => serve(app, { host: "127.0.0.1", port: 0, logger: sink }), true],
      [(sink: ReturnType<typeof captureLog>["sink"]) => serve(app, { host: "127.0.0.1", port: 0, logger: sink, logLevel: "warning" }), false],
      [(sink: ReturnType<typeof captureLog>["sink"]) => createServer(app, { host: "127.0.0.1", port: 0, logger: sink }), false],
    ] as const) {
      const log = captureLog();
      const server = make(log.sink);
      try {
        await server.ready;
        const line = `waitress INFO: Serving on http://127.0.0.1:${server.addresses[0]!.port}`;
        assert.equal(log.lines.includes(line), shown, `${runtime}: ${log.lines.join("\n")}`);
      } finally {
        await server.close();
      }
    }
  });
});

describe("waitress-serve: the server's Response is in place before the app is imported", () => {
  it("a string body through a Response class the app kept at import carries text/plain", async () => {
    const app = `${repoRoot()}/${runtime === "node" ? "dist/" : ""}tests/fixtures/kept_response_app.${runtime === "node" ? "js" : "ts"}`;
    const c = spawnCli(["--listen=127.0.0.1:0", app], repoRoot());
    try {
      const port = await servingPort(c);
      const { response } = await exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.text, "kept");
      assert.equal(response.header("content-type"), "text/plain;charset=UTF-8");
    } finally {
      await stopChild(c);
    }
  });
});
