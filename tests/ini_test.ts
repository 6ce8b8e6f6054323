import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseIni, settingsFromIni } from "../src/settings/ini.ts";
import { resolveSettings } from "../src/settings/adjustments.ts";

function syntaxError(text: string, message: RegExp) {
  assert.throws(() => parseIni(text), (e: unknown) => {
    assert.ok(e instanceof SyntaxError, `expected SyntaxError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

function typeError(text: string, message: RegExp) {
  assert.throws(() => settingsFromIni(parseIni(text)), (e: unknown) => {
    assert.ok(e instanceof TypeError, `expected TypeError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

describe("parseIni", () => {
  it("parseIni() reads sections with = and : separators", () => {
    const ini = parseIni("[app:main]\nuse = egg:myapp\n\n[server:main]\nuse = egg:waitress#main\nhost: 127.0.0.1\nport=6543\n");
    assert.deepEqual(ini, {
      "app:main": { use: "egg:myapp" },
      "server:main": { use: "egg:waitress#main", host: "127.0.0.1", port: "6543" },
    });
  });

  it("parseIni() splits at the first = or : and keeps the rest of the value", () => {
    const ini = parseIni("[s]\napp = ./app.ts:default\nurl: http://x/?a=b\nempty =\n");
    assert.deepEqual(ini["s"], { app: "./app.ts:default", url: "http://x/?a=b", empty: "" });
  });

  it("parseIni() skips # and ; comment lines and has no inline comments", () => {
    const ini = parseIni("# top\n; also\n[s]\n  # indented comment\nkey = value # not a comment\n;k = v\n");
    assert.deepEqual(ini, { s: { key: "value # not a comment" } });
  });

  it("parseIni() joins indented continuation lines with newlines", () => {
    const ini = parseIni("[s]\nlisten = 127.0.0.1:8080\n    [::1]:8080\n\t*:6543\nnext = 1\nheaders =\n  x-forwarded-for\n  x-forwarded-proto\n");
    assert.deepEqual(ini["s"], {
      listen: "127.0.0.1:8080\n[::1]:8080\n*:6543",
      next: "1",
      headers: "x-forwarded-for\nx-forwarded-proto",
    });
  });

  it("parseIni() preserves key case, trims values and accepts CRLF and a BOM", () => {
    const ini = parseIni("\uFEFF[Server:Main]\r\n  \r\nMaxThing  =   42  \r\nother=x\r");
    assert.deepEqual(ini, { "Server:Main": { MaxThing: "42", other: "x" } });
  });

  it("parseIni() stores a __proto__ key as data", () => {
    const ini = parseIni("[__proto__]\n__proto__ = x\n");
    assert.equal(Object.getPrototypeOf(ini), Object.prototype);
    assert.deepEqual(Object.keys(ini), ["__proto__"]);
    assert.equal(Object.getOwnPropertyDescriptor(ini, "__proto__")!.value["__proto__"], "x");
  });

  it("parseIni() returns an empty object for empty text", () => {
    assert.deepEqual(parseIni(""), {});
    assert.deepEqual(parseIni("# only a comment\n\n"), {});
  });

  it("parseIni() rejects malformed section headers with the line number", () => {
    syntaxError("[server:main\nport = 1\n", /^line 1: malformed section header "\[server:main"; expected "\[name\]"$/);
    syntaxError("[s]\n[]\n", /^line 2: malformed section header "\[\]"/);
    syntaxError("[s]\n[a] x\n", /^line 2: malformed section header/);
  });

  it("parseIni() rejects a line without a separator", () => {
    syntaxError("[s]\nport = 1\nnonsense\n", /^line 3: expected "key = value", got "nonsense"$/);
  });

  it("parseIni() rejects a missing key", () => {
    syntaxError("[s]\n= 1\n", /^line 2: missing key before "="$/);
  });

  it("parseIni() rejects keys before any section", () => {
    syntaxError("port = 1\n[s]\n", /^line 1: key "port" appears before any \[section\] header$/);
  });

  it("parseIni() rejects an indented line that continues nothing", () => {
    syntaxError("  port = 1\n", /^line 1: indented line "port = 1" does not continue a value/);
    syntaxError("[s]\n  port = 1\n", /^line 2: indented line/);
  });

  it("parseIni() rejects duplicate sections and keys", () => {
    syntaxError("[s]\na = 1\n\n[s]\n", /^line 4: section \[s\] already appeared on line 1/);
    syntaxError("[s]\na = 1\nb = 2\na: 3\n", /^line 4: key "a" in \[s\] was already set on line 2$/);
  });
});

describe("settingsFromIni", () => {
  it("settingsFromIni() maps snake_case keys to camelCase options and ignores use", () => {
    const r = settingsFromIni(parseIni(
      "[server:main]\nuse = egg:waitress#main\nhost = 127.0.0.1\nport = 6543\nmax_request_body_size = 1024\n" +
        "expose_tracebacks = true\nunix_socket_perms = 660\n",
    ));
    assert.deepEqual(r, {
      options: { host: "127.0.0.1", port: "6543", maxRequestBodySize: "1024", exposeTracebacks: "true", unixSocketPerms: "660" },
    });
  });

  it("settingsFromIni() reads the application from the app key", () => {
    const r = settingsFromIni(parseIni("[server:main]\napp = ./app.ts:default\n"));
    assert.equal(r.app, "./app.ts:default");
    assert.deepEqual(r.options, {});
  });

  it("settingsFromIni() reads [logger_waitress] level as logLevel", () => {
    const level = (l: string) =>
      settingsFromIni(parseIni(`[server:main]\n[logger_waitress]\nlevel = ${l}\nhandlers =\n`)).logLevel;
    assert.equal(level("INFO"), "info");
    assert.equal(level("DEBUG"), "debug");
    assert.equal(level("WARN"), "warning");
    assert.equal(level("WARNING"), "warning");
    assert.equal(level("ERROR"), "error");
    assert.equal(level("CRITICAL"), "error");
    assert.equal(level("NOTSET"), undefined);
    assert.equal(level("LOUD"), "LOUD");
    assert.equal(settingsFromIni(parseIni("[server:main]\n")).logLevel, undefined);
  });

  it("settingsFromIni() options resolve like serve() options", () => {
    const { options } = settingsFromIni(parseIni(
      "[server:main]\nlisten =\n  127.0.0.1:8080\n  [::1]:8080\ntrusted_proxy = 10.0.0.0/8\n" +
        "trusted_proxy_headers =\n  x-forwarded-for\n  x-forwarded-proto\ntrusted_proxy_count = 2\nurl_prefix = /app/\n",
    ));
    const { settings, warnings } = resolveSettings(options);
    assert.deepEqual(settings.listen, [{ host: "127.0.0.1", port: 8080 }, { host: "::1", port: 8080 }]);
    assert.equal(settings.trustedProxy, "10.0.0.0/8");
    assert.deepEqual(settings.trustedProxyHeaders, new Set(["x-forwarded-for", "x-forwarded-proto"]));
    assert.equal(settings.trustedProxyCount, 2);
    assert.equal(settings.urlPrefix, "/app");
    assert.deepEqual(warnings, []);
  });

  it("settingsFromIni() rejects an unknown key, naming it, its line and the closest key", () => {
    typeError("[server:main]\nuse = egg:waitress#main\nmax_body_size = 1\n",
      /^Unknown setting "max_body_size" in \[server:main\] \(line 3\): see the settings table/);
    typeError("[server:main]\n\nthreds = 4\n", /^Unknown setting "threds" in \[server:main\] \(line 3\): did you mean "threads"\?$/);
    typeError("[server:main]\nmaxRequestBodySize = 4\n", /did you mean "max_request_body_size"\?$/);
  });

  it("settingsFromIni() rejects programmatic-only settings", () => {
    typeError("[server:main]\nsockets = 3\n", /^Setting "sockets" in \[server:main\] \(line 2\) cannot be set in a config file/);
  });

  it("settingsFromIni() requires a [server:main] section", () => {
    typeError("[server:other]\nport = 1\n", /^The config file has no \[server:main\] section \(sections found: \[server:other\]\)/);
    typeError("", /sections found: none/);
  });

  it("settingsFromIni() accepts sections built by hand (errors then have no line number)", () => {
    assert.deepEqual(settingsFromIni({ "server:main": { port: "1" } }).options, { port: "1" });
    assert.throws(() => settingsFromIni({ "server:main": { bogus: "1" } }),
      /^TypeError: Unknown setting "bogus" in \[server:main\]: see the settings table/);
  });
});
