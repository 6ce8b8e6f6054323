/**
 * The `waitress-serve` CLI (src/cli/cli_main.ts with a fake environment), the less common paths:
 * paths without a directory or on a UNC share, a bare module name that is a file, import failures
 * of every shape, exports and factory results of every type, threads with --call, a package or a
 * URL, a server closed by its owner rather than by a signal, a server that cannot start for a reason
 * other than listening, and describeThrown() for errors of odd shapes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describeThrown, dirnameOf, prepareCli, resolvePath, runCli, type CliEnv } from "../src/cli/cli_main.ts";
import { exchange } from "./_helpers.ts";
import { appFailure, fakeEnv, fixtures, usageError } from "./_cli_env.ts";
import { resolveSettings } from "../src/settings/adjustments.ts";

const handler = () => new Response("ok");
/** An importModule that yields `namespace` for any target. */
const serving = (namespace: Record<string, unknown>): CliEnv["importModule"] => () => Promise.resolve(namespace);
/** An importModule that fails with `error`. */
const failing = (error: unknown): CliEnv["importModule"] => () => Promise.reject(error);
/** A virtual module file in the fixtures directory, so that "x.mjs" is found as a file. */
const X = { [join(fixtures, "x.mjs")]: "" };

describe("resolvePath() and dirnameOf() edge cases", () => {
  it("resolvePath() keeps a relative base relative and a UNC share's two leading backslashes", () => {
    assert.equal(resolvePath("rel/dir", "../x.ts"), "rel/x.ts");
    assert.equal(resolvePath(".", "x.ts"), "x.ts");
    assert.equal(resolvePath("\\\\server\\share", "app\\x.ts"), "\\\\server/share/app/x.ts");
    assert.equal(resolvePath("/srv", "\\\\server\\share\\..\\x.ts"), "\\\\server/x.ts");
  });

  it("dirnameOf() answers . for a bare file name", () => {
    assert.equal(dirnameOf("app.ini"), ".");
  });
});

describe("runCli() names settings as the user wrote them", () => {
  const ini = (text: string) => ({ files: { ...X, [join(fixtures, "w.ini")]: `[server:main]\n${text}\n` }, importModule: serving({ default: handler }) });

  it("runCli() names a bad command-line value by its --flag", async () => {
    assert.equal(await usageError(["--max-request-body-size=lots", "x.mjs"], ini("")),
      'Invalid value "lots" for setting --max-request-body-size: expected a whole number 0 or greater');
    assert.equal(await usageError(["--channel-timeout=0", "x.mjs"], ini("")),
      'Setting --channel-timeout must be greater than 0; got "0"');
    assert.equal(await usageError(["--unix-socket=/tmp/w.sock", "--port=1", "x.mjs"], ini("")),
      "Settings --unix-socket and --port cannot be used together: a Unix socket has no host or port; remove them");
    assert.equal(await usageError(["--trusted-proxy-count=2", "x.mjs"], ini("")),
      "Setting --trusted-proxy-count has no meaning without --trusted-proxy: set --trusted-proxy to your proxy's " +
        "address, or remove --trusted-proxy-count");
    assert.equal(await usageError(["--listen=127.0.0.1:1", "--port=2", "x.mjs"], ini("")),
      'Settings --listen and --port cannot be used together: put the host and port into the listen entries instead, ' +
        "e.g. --listen=127.0.0.1:8080");
    assert.equal(await usageError(["--trusted-proxy=10.0.0.256", "x.mjs"], ini("")),
      'Invalid --trusted-proxy entry "10.0.0.256": not an IP address; use IP addresses, CIDR ranges such as ' +
        '"10.0.0.0/8" or "fd00::/8", "*" or "localhost"');
    assert.equal(await usageError(["--trusted-proxy=*", "--trusted-proxy-headers=x-forwarded-nope", "x.mjs"], ini("")),
      'Unknown --trusted-proxy-headers value "x-forwarded-nope": use x-forwarded-for, x-forwarded-host, ' +
        "x-forwarded-proto, x-forwarded-port, x-forwarded-by, or forwarded");
    assert.equal(await usageError(["--no-ipv4", "--no-ipv6", "x.mjs"], ini("")),
      "Settings --ipv4 and --ipv6 are both false: enable at least one address family");
  });

  it("runCli() names a bad config-file value by its ini key", async () => {
    assert.equal(await usageError(["--config=w.ini", "x.mjs"], ini("max_request_body_size = lots")),
      'Invalid value "lots" for setting "max_request_body_size": expected a whole number 0 or greater');
    assert.equal(await usageError(["--config=w.ini", "x.mjs"], ini("unix_socket_perms = 1000")),
      'Setting "unix_socket_perms" must be from 0 to 777 (octal); got "1000" (octal 1000)');
    assert.equal(await usageError(["--config=w.ini", "x.mjs"], ini("trusted_proxy_headers = x-forwarded-for")),
      'Setting "trusted_proxy_headers" has no meaning without --trusted-proxy: set --trusted-proxy to your proxy\'s ' +
        'address, or remove "trusted_proxy_headers"');
    assert.equal(await usageError(["--config=w.ini", "x.mjs"], ini("ipv4 = no\nlisten = 127.0.0.1:0")),
      'The listen entry for "127.0.0.1" is an IPv4 address but setting "ipv4" is false: use an IPv6 address such as ' +
        '"::", "*", or enable "ipv4"');
    assert.equal(await usageError(["--config=w.ini", "x.mjs"], ini("listen = 127.0.0.1:1\nport = 2")),
      'Settings "listen" and "port" cannot be used together: put the host and port into the listen entries instead, ' +
        "e.g. listen = 127.0.0.1:8080");
    assert.equal(await usageError(["--config=w.ini", "x.mjs"], ini("[logger_waitress]\nlevel = LOUD")),
      'Invalid value "LOUD" for setting "level" in [logger_waitress]: use one of debug, info, warning, error');
    // The command line wins, and is named as such, over the file.
    assert.equal(await usageError(["--config=w.ini", "--log-level=loud", "x.mjs"], ini("log_level = debug")),
      'Invalid value "loud" for setting --log-level: use one of debug, info, warning, error');
  });

  it("resolveSettings() outside the CLI still names serve() options, and the naming does not leak", async () => {
    await usageError(["--port=x", "x.mjs"], ini(""));
    assert.throws(() => resolveSettings({ maxRequestBodySize: "lots" }), /for setting "maxRequestBodySize"/);
    assert.throws(() => resolveSettings({ trustedProxyCount: 2 }),
      /^TypeError: Setting "trustedProxyCount" has no meaning without "trustedProxy": set trustedProxy to your proxy's address, or remove trustedProxyCount$/);
    assert.throws(() => resolveSettings({ listen: "127.0.0.1:1", port: 2 }), /e\.g\. listen: "127\.0\.0\.1:8080"$/);
  });
});

describe("prepareCli() and runCli() edge cases", () => {
  it("prepareCli() takes a bare name that is an existing file as the file, not a package", async () => {
    const fake = fakeEnv({ files: { [join(fixtures, "app")]: "" }, importModule: serving({ default: handler }) });
    const plan = await prepareCli(["app"], fake.env);
    assert.equal(plan.kind, "serve");
    assert.deepEqual(fake.imports, [{ kind: "file", path: join(fixtures, "app") }]);
  });

  it("runCli() reports import failures that are not Errors, have no message, or name an unknown file extension", async () => {
    const files = X;
    assert.deepEqual(await appFailure(["x.mjs"], { files, importModule: failing("plain text") }),
      { line: 'Importing "x.mjs" failed: plain text', detail: 'The app threw a non-Error value: "plain text"\n' });
    const blank = new Error("\n  \n");
    const failed = await appFailure(["x.mjs"], { files, importModule: failing(blank) });
    assert.equal(failed.line, 'Importing "x.mjs" failed: unknown error');
    assert.equal(failed.detail, `${blank.stack!.trimEnd()}\n`);
    assert.deepEqual(await appFailure(["x.mjs"], { files, importModule: failing(null) }),
      { line: 'Importing "x.mjs" failed: null', detail: "The app threw a non-Error value: null\n" });
    const unknownExt = new TypeError('Unknown file extension ".ts" for /srv/x.ts');
    assert.equal(await usageError(["x.mjs"], { files, importModule: failing(unknownExt) }),
      'Cannot import "x.mjs": Unknown file extension ".ts" for /srv/x.ts; this runtime cannot load that file type ' +
        "directly, so build it to JavaScript (.js/.mjs) first");
    assert.equal((await appFailure(["some-pkg"], { importModule: failing(unknownExt) })).line,
      'Importing "some-pkg" failed: Unknown file extension ".ts" for /srv/x.ts');
    assert.equal(await usageError(["some-pkg"], { importModule: failing(new Error("Module not found \"x\"")) }),
      'Module "some-pkg" not found: Module not found "x"');
  });

  it("runCli() says a module exports nothing", async () => {
    assert.equal(await usageError(["x.mjs"], { files: X, importModule: serving({}) }),
      'Module "x.mjs" has no default export (it exports nothing); name one with MODULE:EXPORT');
  });

  it("runCli() describes an export of each type that is not a handler", async () => {
    const namespace = { nul: null, arr: [handler], obj: { get: handler }, undef: undefined, str: "x" };
    const importModule = serving(namespace);
    for (const [name, shown] of [["nul", "null"], ["arr", "an array"], ["obj", "an object without a fetch method"], ["undef", "undefined"], ["str", "a string"]]) {
      assert.equal(await usageError([`x.mjs:${name}`], { files: X, importModule }),
        `Export "${name}" of "x.mjs" is ${shown}, not a handler: export a function (request, info) => Response or an ` +
          "object with a fetch method, or pass --call if it is a factory");
    }
    assert.equal(await usageError(["--call", "x.mjs:nul"], { files: X, importModule }),
      'Export "nul" of "x.mjs" is null, not a function: --call needs a factory that returns the app; drop --call to serve the export itself');
  });

  it("runCli() describes what a --call factory returned instead of a handler, and reports one that throws", async () => {
    for (const [value, shown] of [[null, "null"], [[], "an array"], [{}, "an object without a fetch method"], [undefined, "undefined"]]) {
      const importModule = serving({ make: () => value });
      assert.equal(await usageError(["--call", "x.mjs:make"], { files: X, importModule }),
        `Export "make" of "x.mjs", called with --call, returned ${shown}, not a handler: the factory must return a ` +
          "function (request, info) => Response or an object with a fetch method");
    }
    const thrown = new Error("no database\nat line 3", { cause: new RangeError("port 99999") });
    const importModule = serving({ make: () => Promise.reject(thrown) });
    const failed = await appFailure(["--call", "x.mjs:make"], { files: X, importModule });
    assert.equal(failed.line, 'Calling export "make" of "x.mjs" (--call) failed: no database');
    // The stack (where it was thrown), then its cause's.
    assert.equal(failed.detail, `${thrown.stack!.trimEnd()}\nCaused by: ${(thrown.cause as Error).stack!.trimEnd()}\n`);
  });

  it("runCli() refuses --call with threads, and threads for a package, naming --threads", async () => {
    const importModule = serving({ default: handler, make: () => handler });
    assert.equal(await usageError(["--threads=2", "--call", "x.mjs:make"], { files: X, importModule }),
      "--call cannot be used with threads (2): export the app itself, or use --threads=0");
    assert.equal(await usageError(["--threads=1", "some-pkg"], { importModule }),
      'Threads need the app as a file path or URL, not the package "some-pkg": point at the module file, or use --threads=0');
  });

  it("prepareCli() gives threads a URL app as it is and a file app as a file: URL", async () => {
    const importModule = serving({ default: handler, app: { fetch: handler } });
    const url = await prepareCli(["--threads=2", "https://example.com/app.mjs:app"], fakeEnv({ importModule }).env);
    assert.ok(url.kind === "serve");
    assert.deepEqual(url.module, { url: "https://example.com/app.mjs", exportName: "app" });
    const file = await prepareCli(["--threads=2", "x.mjs"], fakeEnv({ files: X, importModule }).env);
    assert.ok(file.kind === "serve");
    assert.deepEqual(file.module, { url: pathToFileURL(join(fixtures, "x.mjs")).href, exportName: "default" });
  });

  it("runCli() exits neither 0 nor 1 when the server's owner closes it (no signal, no failure)", async () => {
    const fake = fakeEnv({ files: X, importModule: serving({ default: handler }) });
    const server = await runCli(["--listen=127.0.0.1:0", "x.mjs"], fake.env);
    assert.ok(server !== undefined);
    await server.close();
    await server.finished;
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(fake.exits, []);
    assert.equal(fake.err, "");
  });

  it("runCli() says the server could not start when `ready` fails for another reason than listening", async () => {
    const fake = fakeEnv({ files: X, importModule: serving({ default: handler }) });
    const log = join(fixtures, "no-such-dir", "sub", "access.log");
    assert.equal(await runCli([`--access-log=${log}`, "--listen=127.0.0.1:0", "x.mjs"], fake.env), undefined);
    assert.deepEqual(fake.exits, [1]);
    assert.match(fake.err, /^Error: cannot start the server: .*no-such-dir/);
    assert.doesNotMatch(fake.err, /cannot listen/i);
  });

  it("runCli() passes on, unchanged, warnings that are not settings warnings while it renames those", async () => {
    const app = () => new Response("ok", { headers: { upgrade: "h2c" } });
    const fake = fakeEnv({ files: X, importModule: serving({ default: app }) });
    const server = await runCli(["--send-bytes=2", "--listen=127.0.0.1:0", "x.mjs"], fake.env);
    assert.ok(server !== undefined, fake.err);
    try {
      const { response } = await exchange(server.addresses[0]!.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.status, 200);
    } finally {
      await server.close();
    }
    assert.deepEqual(fake.logs.filter((line) => line.startsWith("waitress WARNING: ")), [
      "waitress WARNING: --send-bytes is deprecated (as in Waitress) and has no effect; remove it.",
      'waitress WARNING: Dropped hop-by-hop header "upgrade" ("h2c") set by the application for /: ' +
        "the connection is the server's (warned once per header name; later ones at debug level)",
    ]);
  });
});

describe("describeThrown() for errors of odd shapes", () => {
  it("names a cause that is not an Error, and a value String() cannot convert", () => {
    const error = new Error("boom", { cause: "disk full" });
    assert.equal(describeThrown(error), `${error.stack!.trimEnd()}\nCaused by: "disk full"\n`);
    assert.equal(describeThrown(Object.create(null)), "The app threw a non-Error value: [object Object]\n");
    assert.equal(describeThrown(new Error("outer", { cause: Object.create(null) })).split("\n").at(-2), "Caused by: [object Object]");
  });

  it("starts with `Name: message` when the stack is missing, empty, or does not hold the message", () => {
    const missing = new TypeError("no stack");
    missing.stack = undefined;
    assert.equal(describeThrown(missing), "TypeError: no stack\n");
    const empty = new RangeError("empty stack");
    empty.stack = "";
    assert.equal(describeThrown(empty), "RangeError: empty stack\n");
    const bare = new Error("not in the stack");
    bare.stack = "    at app (file:///srv/app.mjs:1:7)\n";
    assert.equal(describeThrown(bare), "Error: not in the stack\n    at app (file:///srv/app.mjs:1:7)\n");
  });
});
