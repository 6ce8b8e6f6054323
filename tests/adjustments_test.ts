import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { asBool, closestSetting, resolveSettings, SETTINGS, settingBySnake } from "../src/settings/adjustments.ts";
import { CliError, cliHelp, parseCliArgs, settingsMarkdown, splitAppSpec } from "../src/cli/cli_args.ts";
import type { RawSettingOptions, Settings, SettingSpec } from "../src/settings/adjustments.ts";
import { parseIni, settingsFromIni } from "../src/settings/ini.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./_root.ts";

// Strings as the CLI and config files give them: resolveSettings() takes the raw type.
const resolve = (options: RawSettingOptions) => resolveSettings(options).settings;

/** Asserts that resolving `options` throws `type` with a message matching `message`. */
function rejects(options: Record<string, unknown>, type: typeof TypeError | typeof RangeError, message: RegExp) {
  assert.throws(() => resolveSettings(options as RawSettingOptions), (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.match((e as Error).message, message);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// One non-default valid value per setting, in its string form (CLI / ini), the typed form for
// serve(), and the resolved value. `base` holds other settings the value needs.
interface Sample {
  text: string;
  typed: unknown;
  expected: unknown;
  base?: Record<string, string>;
}
const TP = { trustedProxy: "10.0.0.1" };
const SAMPLES: Record<keyof Settings, Sample> = {
  host: { text: "127.0.0.1", typed: "127.0.0.1", expected: "127.0.0.1" },
  port: { text: "8041", typed: 8041, expected: 8041 },
  listen: { text: "127.0.0.1:9000 [::1]:9001", typed: ["127.0.0.1:9000", { host: "::1", port: 9001 }],
    expected: [{ host: "127.0.0.1", port: 9000 }, { host: "::1", port: 9001 }] },
  ipv4: { text: "false", typed: false, expected: false, base: { listen: "[::1]:8080" } },
  ipv6: { text: "false", typed: false, expected: false },
  unixSocket: { text: "/tmp/waitress-test.sock", typed: "/tmp/waitress-test.sock", expected: "/tmp/waitress-test.sock" },
  unixSocketPerms: { text: "660", typed: 0o660, expected: 0o660 },
  sockets: { text: "", typed: [3, { fd: 4 }], expected: [3, 4] },
  threads: { text: "3", typed: 3, expected: 3 },
  workers: { text: "2", typed: 2, expected: 2 },
  urlScheme: { text: "https", typed: "https", expected: "https" },
  tlsCert: { text: "/etc/tls/cert.pem", typed: "/etc/tls/cert.pem", expected: "/etc/tls/cert.pem", base: { tlsKey: "/etc/tls/key.pem" } },
  tlsKey: { text: "/etc/tls/key.pem", typed: "/etc/tls/key.pem", expected: "/etc/tls/key.pem", base: { tlsCert: "/etc/tls/cert.pem" } },
  tlsPassphrase: { text: "s3cret", typed: "s3cret", expected: "s3cret", base: { tlsCert: "/etc/tls/cert.pem", tlsKey: "/etc/tls/key.pem" } },
  tlsCa: { text: "/etc/tls/chain.pem", typed: "/etc/tls/chain.pem", expected: "/etc/tls/chain.pem", base: { tlsCert: "/etc/tls/cert.pem", tlsKey: "/etc/tls/key.pem" } },
  urlPrefix: { text: "/app/", typed: "app", expected: "/app" },
  ident: { text: "myserver", typed: "myserver", expected: "myserver" },
  serverName: { text: "example.com", typed: "example.com", expected: "example.com" },
  exposeTracebacks: { text: "true", typed: true, expected: true },
  trustedProxy: { text: "10.0.0.0/8,192.168.1.1", typed: ["10.0.0.0/8", "192.168.1.1"],
    expected: "10.0.0.0/8 192.168.1.1", base: { trustedProxyHeaders: "x-forwarded-for" } },
  trustedProxyCount: { text: "2", typed: 2, expected: 2, base: { ...TP, trustedProxyHeaders: "x-forwarded-for" } },
  trustedProxyHeaders: { text: "x-forwarded-for x-forwarded-host", typed: new Set(["x-forwarded-for", "x-forwarded-host"]),
    expected: new Set(["x-forwarded-for", "x-forwarded-host"]), base: TP },
  clearUntrustedProxyHeaders: { text: "false", typed: false, expected: false },
  logUntrustedProxyHeaders: { text: "true", typed: true, expected: true },
  maxRequestLineSize: { text: "8000", typed: 8000, expected: 8000 },
  maxRequestHeaderSize: { text: "1300", typed: 1300, expected: 1300 },
  maxHeaderFields: { text: "50", typed: 50, expected: 50 },
  maxRequestBodySize: { text: "1400", typed: 1400, expected: 1400 },
  maxChunkExtensionSize: { text: "0", typed: 0, expected: 0 },
  maxTrailerSize: { text: "100", typed: 100, expected: 100 },
  connectionLimit: { text: "1000", typed: 1000, expected: 1000 },
  headerTimeout: { text: "0.5", typed: 0.5, expected: 0.5 },
  bodyTimeout: { text: "15", typed: 15, expected: 15 },
  channelTimeout: { text: "1200", typed: 1200, expected: 1200 },
  cleanupInterval: { text: "1100", typed: 1100, expected: 1100 },
  reclaimTimeout: { text: "0.25", typed: 0.25, expected: 0.25 },
  shutdownTimeout: { text: "0", typed: 0, expected: 0 },
  backlog: { text: "20", typed: 20, expected: 20 },
  recvBytes: { text: "200", typed: 200, expected: 200 },
  sendBytes: { text: "300", typed: 300, expected: 300 },
  outbufOverflow: { text: "400", typed: 400, expected: 400 },
  outbufHighWatermark: { text: "4000", typed: 4000, expected: 4000 },
  inbufOverflow: { text: "500", typed: 500, expected: 500 },
  channelRequestLookahead: { text: "5", typed: 5, expected: 5 },
  maxLookaheadBytes: { text: "4096", typed: 4096, expected: 4096 },
  wsMaxMessageSize: { text: "65536", typed: 65536, expected: 65536 },
  wsMaxFragments: { text: "16", typed: 16, expected: 16 },
  wsPerMessageDeflate: { text: "true", typed: true, expected: true },
  wsPingInterval: { text: "0", typed: 0, expected: 0 },
  wsPingTimeout: { text: "2.5", typed: 2.5, expected: 2.5 },
  logLevel: { text: "debug", typed: "debug", expected: "debug" },
  accessLogFormat: { text: "%h %>s %b", typed: "%h %>s %b", expected: "%h %>s %b" },
  accessLog: { text: "/var/log/waitress-access.log", typed: "/var/log/waitress-access.log",
    expected: "/var/log/waitress-access.log" },
  logSocketErrors: { text: "false", typed: false, expected: false },
  asyncoreLoopTimeout: { text: "5", typed: 5, expected: 5 },
  asyncoreUsePoll: { text: "true", typed: true, expected: true },
};

function cliArgsFor(spec: SettingSpec, text: string): string[] {
  if (spec.kind === "bool") return [asBool(text) ? `--${spec.flag}` : `--no-${spec.flag}`];
  return [`--${spec.flag}=${text}`];
}

function viaCli(values: Record<string, string>): Settings {
  const argv: string[] = [];
  for (const [name, text] of Object.entries(values)) {
    argv.push(...cliArgsFor(SETTINGS.find((s) => s.name === name)!, text));
  }
  argv.push("app.ts:default");
  const parsed = parseCliArgs(argv);
  assert.equal(parsed.app, "app.ts:default");
  return resolve(parsed.options);
}

function viaIni(values: Record<string, string>): Settings {
  const lines = ["[server:main]", "use = egg:waitress#main"];
  for (const [name, text] of Object.entries(values)) {
    lines.push(`${SETTINGS.find((s) => s.name === name)!.snake} = ${text}`);
  }
  return resolve(settingsFromIni(parseIni(lines.join("\n") + "\n")).options);
}

describe("SETTINGS", () => {
  it("SETTINGS has unique names, flags and keys derived from the camelCase name", () => {
    const names = new Set(SETTINGS.map((s) => s.name));
    assert.equal(names.size, SETTINGS.length);
    assert.equal(new Set(SETTINGS.map((s) => s.flag)).size, SETTINGS.length);
    assert.equal(new Set(SETTINGS.map((s) => s.snake)).size, SETTINGS.length);
    for (const s of SETTINGS) {
      assert.equal(s.snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), s.name);
      assert.equal(s.flag, s.snake.replace(/_/g, "-"));
      assert.ok(s.help.length > 10, `${s.name} has help text`);
    }
    assert.equal(SETTINGS.find((s) => s.name === "maxRequestBodySize")!.flag, "max-request-body-size");
    assert.equal(settingBySnake("unix_socket_perms")!.name, "unixSocketPerms");
    assert.equal(settingBySnake("sockets"), undefined);
  });

  it("the comments of Settings and SettingInputs are the table's help (run `npm run docs` if not)", async () => {
    const root = repoRoot();
    const genDocs = await import(pathToFileURL(join(root, "tools", "gen_docs.mjs")).href) as {
      TYPES_PATH: string;
      syncSettingsDocs(source: string, specs: readonly SettingSpec[]): string;
    };
    const source = readFileSync(join(root, genDocs.TYPES_PATH), "utf8");
    assert.equal(source, genDocs.syncSettingsDocs(source, SETTINGS), `${genDocs.TYPES_PATH} is out of date: run \`npm run docs\``);
    // Each member is documented by exactly one table text: help, or (Settings) the resolved value's.
    const listen = SETTINGS.find((s) => s.name === "listen")!;
    assert.ok(source.includes(`/** ${listen.help} */\n  listen: string`), "SettingInputs.listen says what is given");
    assert.ok(source.includes("/** TCP listeners to open; empty when `unixSocket` or `sockets` is used. */\n  listen: ListenAddress[]"));
  });

  it("resolveSettings() returns exactly the settings in SETTINGS", () => {
    const { settings, warnings } = resolveSettings();
    assert.deepEqual(Object.keys(settings).sort(), SETTINGS.map((s) => s.name).sort());
    assert.deepEqual(warnings, []);
  });

  it("resolveSettings() fills Waitress 3 defaults and the strict extension defaults", () => {
    const s = resolve({});
    assert.deepEqual(
      { ...s, trustedProxyHeaders: [...s.trustedProxyHeaders] },
      {
        host: "0.0.0.0", port: 8080, listen: [{ host: "0.0.0.0", port: 8080 }], ipv4: true, ipv6: true,
        unixSocket: undefined, unixSocketPerms: 0o600, sockets: [], tlsCert: undefined, tlsKey: undefined, tlsPassphrase: undefined,
        tlsCa: undefined, threads: 0, workers: 1, urlScheme: "http", urlPrefix: "",
        ident: "waitress", serverName: "waitress.invalid", exposeTracebacks: false, trustedProxy: undefined,
        trustedProxyCount: undefined, trustedProxyHeaders: [], clearUntrustedProxyHeaders: true,
        logUntrustedProxyHeaders: false, maxRequestLineSize: 16384, maxRequestHeaderSize: 262144,
        maxHeaderFields: 100, maxRequestBodySize: 1073741824, maxChunkExtensionSize: 4096, maxTrailerSize: 16384,
        connectionLimit: 100, headerTimeout: 60, bodyTimeout: 60, channelTimeout: 120, cleanupInterval: 30,
        reclaimTimeout: 0.5, shutdownTimeout: 30, backlog: 1024, recvBytes: 8192, sendBytes: 1, outbufOverflow: 1048576,
        outbufHighWatermark: 16777216, inbufOverflow: 524288, channelRequestLookahead: 0, maxLookaheadBytes: 65536,
        wsMaxMessageSize: 16777216, wsMaxFragments: 65536, wsPerMessageDeflate: false, wsPingInterval: 30, wsPingTimeout: 30, logLevel: "warning",
        accessLog: false, accessLogFormat: "combined", logSocketErrors: true, asyncoreLoopTimeout: 1, asyncoreUsePoll: false,
      },
    );
  });

  it("resolveSettings() does not share default objects between calls", () => {
    const a = resolve({});
    a.trustedProxyHeaders.add("forwarded");
    a.listen.push({ host: "x", port: 1 });
    a.sockets.push(1);
    const b = resolve({});
    assert.equal(b.trustedProxyHeaders.size, 0);
    assert.equal(b.listen.length, 1);
    assert.equal(b.sockets.length, 0);
  });

  it("every setting reaches the same value via serve() typed, serve() string, CLI flag and ini key", () => {
    assert.deepEqual(Object.keys(SAMPLES).sort(), SETTINGS.map((s) => s.name).sort());
    const defaults = resolve({});
    for (const spec of SETTINGS) {
      const sample = SAMPLES[spec.name];
      const base = sample.base ?? {};
      const typed = resolve({ ...base, [spec.name]: sample.typed } as RawSettingOptions);
      assert.deepEqual(typed[spec.name], sample.expected, `${spec.name} via serve() typed`);
      assert.notDeepEqual(typed[spec.name], defaults[spec.name], `${spec.name} sample differs from the default`);
      if (!spec.cli) continue;
      const values = { ...base, [spec.name]: sample.text };
      const asString = resolve(values as RawSettingOptions);
      assert.deepEqual(asString, typed, `${spec.name} via serve() string`);
      assert.deepEqual(viaCli(values), typed, `${spec.name} via --${spec.flag}`);
      assert.deepEqual(viaIni(values), typed, `${spec.name} via ini ${spec.snake}`);
    }
  });
});

describe("asBool", () => {
  it("asBool() follows the Waitress truth table", () => {
    for (const t of ["t", "true", "True", "TRUE", "y", "yes", "on", "1", " on "]) assert.equal(asBool(t), true, t);
    for (const f of ["f", "false", "False", "n", "no", "off", "0", "", "maybe", "2"]) assert.equal(asBool(f), false, f);
    assert.equal(asBool(true), true);
    assert.equal(asBool(false), false);
  });
});

describe("resolveSettings casting", () => {
  it("resolveSettings() casts Waitress's test_goodvars strings", () => {
    const s = resolve({
      host: "localhost", port: "8080", threads: "5", trustedProxy: "192.168.1.1",
      trustedProxyHeaders: new Set(["forwarded"]), trustedProxyCount: 2, logUntrustedProxyHeaders: true,
      urlScheme: "https", backlog: "20", recvBytes: "200", sendBytes: "300", outbufOverflow: "400",
      inbufOverflow: "500", connectionLimit: "1000", cleanupInterval: "1100", channelTimeout: "1200",
      logSocketErrors: "true", maxRequestHeaderSize: "1300", maxRequestBodySize: "1400", exposeTracebacks: "true",
      ident: "abc", asyncoreLoopTimeout: "5", asyncoreUsePoll: true, unixSocketPerms: "777", urlPrefix: "///foo/",
      ipv4: true, ipv6: false,
    });
    assert.equal(s.host, "localhost");
    assert.equal(s.port, 8080);
    assert.deepEqual(s.listen, [{ host: "localhost", port: 8080 }]);
    assert.equal(s.threads, 5);
    assert.equal(s.trustedProxy, "192.168.1.1");
    assert.deepEqual(s.trustedProxyHeaders, new Set(["forwarded"]));
    assert.equal(s.trustedProxyCount, 2);
    assert.equal(s.urlScheme, "https");
    assert.equal(s.backlog, 20);
    assert.equal(s.connectionLimit, 1000);
    assert.equal(s.exposeTracebacks, true);
    assert.equal(s.ident, "abc");
    assert.equal(s.unixSocketPerms, 0o777);
    assert.equal(s.urlPrefix, "/foo");
    assert.equal(s.ipv6, false);
  });

  it("resolveSettings() parses listen forms", () => {
    assert.deepEqual(resolve({ listen: "127.0.0.1" }).listen, [{ host: "127.0.0.1", port: 8080 }]);
    assert.deepEqual(resolve({ listen: "127.0.0.1:9090 127.0.0.1:8080" }).listen,
      [{ host: "127.0.0.1", port: 9090 }, { host: "127.0.0.1", port: 8080 }]);
    assert.deepEqual(resolve({ listen: "*:8080 *:6543" }).listen, [{ host: "*", port: 8080 }, { host: "*", port: 6543 }]);
    assert.deepEqual(resolve({ listen: "[::1]" }).listen, [{ host: "::1", port: 8080 }]);
    assert.deepEqual(resolve({ listen: "[::1]:8080" }).listen, [{ host: "::1", port: 8080 }]);
    assert.deepEqual(resolve({ listen: "::1" }).listen, [{ host: "::1", port: 8080 }]);
    assert.deepEqual(resolve({ listen: "[fe80::1%eth0]:80" }).listen, [{ host: "fe80::1%eth0", port: 80 }]);
    assert.deepEqual(resolve({ listen: "localhost:8080\n  example.com:0" }).listen,
      [{ host: "localhost", port: 8080 }, { host: "example.com", port: 0 }]);
    assert.deepEqual(resolve({ listen: ["a:1 b:2", "c:3"] }).listen,
      [{ host: "a", port: 1 }, { host: "b", port: 2 }, { host: "c", port: 3 }]);
    assert.deepEqual(resolve({ listen: [{ host: "[::1]", port: 81 }] }).listen, [{ host: "::1", port: 81 }]);
  });

  it("resolveSettings() drops duplicate listen entries but keeps repeated port 0", () => {
    assert.deepEqual(resolve({ listen: "127.0.0.1:80 127.0.0.1:80" }).listen, [{ host: "127.0.0.1", port: 80 }]);
    assert.equal(resolve({ listen: "127.0.0.1:0 127.0.0.1:0" }).listen.length, 2);
  });

  it("resolveSettings() derives listen from host and port, and leaves it empty for Unix sockets and sockets", () => {
    assert.deepEqual(resolve({ port: 0 }).listen, [{ host: "0.0.0.0", port: 0 }]);
    assert.deepEqual(resolve({ host: "::1" }).listen, [{ host: "::1", port: 8080 }]);
    assert.deepEqual(resolve({ host: "[::1]", port: "81" }).listen, [{ host: "::1", port: 81 }]);
    assert.deepEqual(resolve({ host: "*" }).listen, [{ host: "*", port: 8080 }]);
    assert.deepEqual(resolve({ unixSocket: "/tmp/x.sock" }).listen, []);
    assert.deepEqual(resolve({ sockets: [3] }).listen, []);
  });

  it("resolveSettings() treats empty unixSocket, listen and trustedProxy as not given", () => {
    const s = resolve({ unixSocket: "", listen: "", trustedProxy: "", host: "127.0.0.1" });
    assert.equal(s.unixSocket, undefined);
    assert.equal(s.trustedProxy, undefined);
    assert.deepEqual(s.listen, [{ host: "127.0.0.1", port: 8080 }]);
    assert.equal(resolve({ unixSocket: null, trustedProxy: null }).unixSocket, undefined);
  });

  it("resolveSettings() slash-fixes urlPrefix and lower-cases urlScheme", () => {
    assert.equal(resolve({ urlPrefix: "///foo/" }).urlPrefix, "/foo");
    assert.equal(resolve({ urlPrefix: " foo/bar " }).urlPrefix, "/foo/bar");
    assert.equal(resolve({ urlPrefix: "/" }).urlPrefix, "");
    assert.equal(resolve({ urlScheme: "HTTPS" }).urlScheme, "https");
    assert.equal(resolve({ urlScheme: "coap+tcp" }).urlScheme, "coap+tcp");
  });

  it("resolveSettings() lets ident be removed with an empty string or null", () => {
    assert.equal(resolve({ ident: "" }).ident, "");
    assert.equal(resolve({ ident: null }).ident, "");
    assert.equal(resolve({ ident: "specific_header" }).ident, "specific_header");
  });

  it("resolveSettings() casts octal permissions from strings and numbers", () => {
    assert.equal(resolve({ unixSocketPerms: "777" }).unixSocketPerms, 0o777);
    assert.equal(resolve({ unixSocketPerms: "0640" }).unixSocketPerms, 0o640);
    assert.equal(resolve({ unixSocketPerms: "0o644" }).unixSocketPerms, 0o644);
    assert.equal(resolve({ unixSocketPerms: 0o600 }).unixSocketPerms, 0o600);
  });

  it("resolveSettings() accepts fractional seconds", () => {
    const s = resolve({ headerTimeout: "0.25", bodyTimeout: ".5", channelTimeout: 2.5, shutdownTimeout: "0" });
    assert.deepEqual([s.headerTimeout, s.bodyTimeout, s.channelTimeout, s.shutdownTimeout], [0.25, 0.5, 2.5, 0]);
  });

  it("resolveSettings() reads logLevel case-insensitively and accessLog as boolean or path", () => {
    assert.equal(resolve({ logLevel: "INFO" }).logLevel, "info");
    assert.equal(resolve({ accessLog: "yes" }).accessLog, true);
    assert.equal(resolve({ accessLog: "off" }).accessLog, false);
    assert.equal(resolve({ accessLog: true }).accessLog, true);
    assert.equal(resolve({ accessLog: " logs/access.log " }).accessLog, "logs/access.log");
  });

  it("resolveSettings() ignores options whose value is undefined", () => {
    assert.equal(resolve({ port: undefined, listen: undefined, host: "127.0.0.1" }).port, 8080);
  });
});

describe("resolveSettings proxy settings", () => {
  it("resolveSettings() defaults trustedProxyCount to 1 and warns about implicit X-Forwarded-Proto", () => {
    const { settings, warnings } = resolveSettings({ trustedProxy: "localhost" });
    assert.equal(settings.trustedProxyCount, 1);
    assert.deepEqual(settings.trustedProxyHeaders, new Set(["x-forwarded-proto"]));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /implicitly trusting X-Forwarded-Proto/);
  });

  it("resolveSettings() reads trustedProxyHeaders from strings with spaces, newlines and commas", () => {
    const a = resolve({ trustedProxy: "localhost", trustedProxyHeaders: "x-forwarded-for x-forwarded-by" });
    assert.deepEqual(a.trustedProxyHeaders, new Set(["x-forwarded-for", "x-forwarded-by"]));
    const b = resolve({ trustedProxy: "localhost", trustedProxyHeaders: "x-forwarded-for\nx-forwarded-by\nx-forwarded-host" });
    assert.deepEqual(b.trustedProxyHeaders, new Set(["x-forwarded-for", "x-forwarded-by", "x-forwarded-host"]));
    const c = resolve({ trustedProxy: "localhost", trustedProxyHeaders: ["X-Forwarded-Proto, X-Forwarded-Port"] });
    assert.deepEqual(c.trustedProxyHeaders, new Set(["x-forwarded-proto", "x-forwarded-port"]));
  });

  it("resolveSettings() accepts trustedProxy lists of addresses and CIDR ranges", () => {
    assert.equal(resolve({ trustedProxy: "10.0.0.0/8, 192.168.1.1\tFD00::/8 ::1", trustedProxyHeaders: "forwarded" })
      .trustedProxy, "10.0.0.0/8 192.168.1.1 fd00::/8 ::1");
    assert.equal(resolve({ trustedProxy: ["[::1]", "127.0.0.1"], trustedProxyHeaders: "forwarded" }).trustedProxy,
      "::1 127.0.0.1");
    assert.equal(resolve({ trustedProxy: "*", trustedProxyHeaders: "forwarded" }).trustedProxy, "*");
    assert.equal(resolve({ trustedProxy: "0.0.0.0/0 ::/0", trustedProxyHeaders: "forwarded" }).trustedProxy,
      "0.0.0.0/0 ::/0");
  });

  it("resolveSettings() rejects trustedProxyCount without trustedProxy", () => {
    rejects({ trustedProxyCount: 1 }, TypeError,
      /^Setting "trustedProxyCount" has no meaning without "trustedProxy"/);
  });

  it("resolveSettings() rejects trustedProxyHeaders without trustedProxy", () => {
    rejects({ trustedProxyHeaders: "forwarded" }, TypeError,
      /^Setting "trustedProxyHeaders" has no meaning without "trustedProxy"/);
  });

  it("resolveSettings() rejects forwarded together with x-forwarded-*", () => {
    rejects({ trustedProxy: "localhost", trustedProxyHeaders: ["forwarded", "x-forwarded-for"] }, TypeError,
      /cannot combine "forwarded" with "x-forwarded-for": the Forwarded header/);
  });

  it("resolveSettings() rejects an unknown proxy header name", () => {
    rejects({ trustedProxy: "localhost", trustedProxyHeaders: "forwarded x-forwarded-unknown" }, RangeError,
      /^Unknown trustedProxyHeaders value "x-forwarded-unknown": use x-forwarded-for, /);
  });

  it("resolveSettings() rejects invalid trustedProxy addresses and ranges", () => {
    rejects({ trustedProxy: "10.0.0.256" }, TypeError, /^Invalid trustedProxy entry "10\.0\.0\.256": not an IP address/);
    rejects({ trustedProxy: "10.0.0.0/33" }, TypeError, /"10\.0\.0\.0\/33": the prefix length must be 0 to 32/);
    rejects({ trustedProxy: "fd00::/129" }, TypeError, /"fd00::\/129": the prefix length must be 0 to 128/);
    rejects({ trustedProxy: "10.0.0.0/" }, TypeError, /the prefix length/);
    rejects({ trustedProxy: "proxy.example.com" }, TypeError,
      /"proxy\.example\.com": host names are not resolved/);
    rejects({ trustedProxy: "1:2:3" }, TypeError, /"1:2:3": not an IP address/);
    rejects({ trustedProxy: "* 10.0.0.1" }, TypeError, /"\*" trusts every peer and cannot be combined/);
    rejects({ trustedProxy: 5 }, TypeError, /^Invalid value 5 for setting "trustedProxy"/);
  });
});

describe("resolveSettings validation", () => {
  it("resolveSettings() rejects an unknown setting and suggests the closest name", () => {
    rejects({ treads: 4 }, TypeError, /^Unknown setting "treads": did you mean "threads"\?$/);
    rejects({ max_request_body_size: 1 }, TypeError, /^Unknown setting "max_request_body_size": did you mean "maxRequestBodySize"\?$/);
    rejects({ foo: 1 }, TypeError, /^Unknown setting "foo": see the settings table/);
    assert.equal(closestSetting("url-prefix")?.name, "urlPrefix");
    assert.equal(closestSetting("zzzzzzzz"), undefined);
  });

  it("resolveSettings() rejects options that are not an object", () => {
    rejects(42 as unknown as Record<string, unknown>, TypeError, /^Invalid options 42: expected an object/);
  });

  it("resolveSettings() names the setting and value for bad integers", () => {
    rejects({ threads: "abc" }, TypeError, /^Invalid value "abc" for setting "threads": expected a whole number 0 or greater$/);
    rejects({ port: "test" }, TypeError, /^Invalid value "test" for setting "port": expected a whole number from 0 to 65535$/);
    rejects({ backlog: 1.5 }, TypeError, /^Invalid value 1\.5 for setting "backlog": expected a whole number$/);
    rejects({ recvBytes: "1e3" }, TypeError, /^Invalid value "1e3" for setting "recvBytes"/);
    rejects({ recvBytes: true }, TypeError, /^Invalid value true for setting "recvBytes"/);
    rejects({ maxRequestBodySize: "99999999999999999999" }, TypeError, /below 2\^53/);
  });

  it("resolveSettings() rejects out-of-range numbers with RangeError", () => {
    rejects({ port: 65536 }, RangeError, /^Setting "port" must be from 0 to 65535 \(0 picks a free port\); got 65536$/);
    rejects({ port: "-1" }, RangeError, /^Setting "port" must be from 0 to 65535/);
    rejects({ threads: -1 }, RangeError, /^Setting "threads" must be 0 or greater; got -1$/);
    rejects({ connectionLimit: "0" }, RangeError, /^Setting "connectionLimit" must be 1 or greater; got "0"$/);
    rejects({ recvBytes: 0 }, RangeError, /^Setting "recvBytes" must be 1 or greater/);
    rejects({ maxRequestHeaderSize: 0 }, RangeError, /^Setting "maxRequestHeaderSize" must be 1 or greater/);
    rejects({ trustedProxy: "localhost", trustedProxyCount: 0 }, RangeError, /^Setting "trustedProxyCount" must be 1 or greater/);
    rejects({ headerTimeout: 0 }, RangeError, /^Setting "headerTimeout" must be greater than 0; got 0$/);
    rejects({ channelTimeout: "-5" }, RangeError, /^Setting "channelTimeout" must be greater than 0; got "-5"$/);
    rejects({ shutdownTimeout: -1 }, RangeError, /^Setting "shutdownTimeout" must be 0 or greater/);
  });

  it("resolveSettings() allows port 0 (pick a free port)", () => {
    assert.equal(resolve({ port: "0" }).port, 0);
  });

  it("resolveSettings() names the setting and value for bad seconds", () => {
    rejects({ bodyTimeout: "soon" }, TypeError, /^Invalid value "soon" for setting "bodyTimeout": expected a number of seconds/);
    rejects({ bodyTimeout: Infinity }, TypeError, /^Invalid value Infinity for setting "bodyTimeout"/);
  });

  it("resolveSettings() names the setting and value for bad booleans", () => {
    rejects({ ipv4: "maybe" }, TypeError, /^Invalid value "maybe" for setting "ipv4": expected a boolean/);
    rejects({ exposeTracebacks: 2 }, TypeError, /^Invalid value 2 for setting "exposeTracebacks"/);
  });

  it("resolveSettings() names the setting and value for bad octal permissions", () => {
    rejects({ unixSocketPerms: "800" }, TypeError, /^Invalid value "800" for setting "unixSocketPerms": expected octal permissions/);
    rejects({ unixSocketPerms: "1777" }, RangeError, /^Setting "unixSocketPerms" must be from 0 to 777 \(octal\); got "1777" \(octal 1777\)$/);
  });

  it("resolveSettings() rejects values of the wrong type for string settings", () => {
    rejects({ host: 42 }, TypeError, /^Invalid value 42 for setting "host": expected a string$/);
    rejects({ sockets: "fd:3" }, TypeError, /^Invalid value "fd:3" for setting "sockets": expected an array of inherited listening socket descriptors/);
    rejects({ trustedProxy: "localhost", trustedProxyHeaders: 7 }, TypeError, /setting "trustedProxyHeaders"/);
  });

  it("resolveSettings() rejects a urlScheme that is not a scheme token", () => {
    rejects({ urlScheme: "ht tp" }, TypeError, /^Invalid value "ht tp" for setting "urlScheme": expected a URL scheme/);
    rejects({ urlScheme: "" }, TypeError, /setting "urlScheme"/);
  });

  it("resolveSettings() rejects a logLevel outside debug, info, warning, error", () => {
    rejects({ logLevel: "verbose" }, RangeError,
      /^Invalid value "verbose" for setting "logLevel": use one of debug, info, warning, error$/);
  });

  it("resolveSettings() rejects an accessLog value with control characters", () => {
    rejects({ accessLog: "a\nb" }, TypeError, /setting "accessLog"/);
  });

  it("resolveSettings() rejects bad hosts", () => {
    rejects({ host: "" }, TypeError, /^Invalid value "" for setting "host": the host is empty/);
    rejects({ host: "bad host" }, TypeError, /setting "host": "bad host" is not a valid host name/);
    rejects({ host: "300.1.1.1" }, TypeError, /"300\.1\.1\.1" is not a valid IPv4 address/);
    rejects({ host: "[nope]" }, TypeError, /"nope" is not an IPv6 address/);
  });
});

describe("resolveSettings listen validation", () => {
  it("resolveSettings() rejects a listen entry with a bad port, naming the entry", () => {
    rejects({ listen: "127.0.0.1:test" }, RangeError,
      /^Invalid port "test" in listen entry "127\.0\.0\.1:test": expected a number from 0 to 65535/);
    rejects({ listen: "127.0.0.1:70000" }, RangeError, /^Invalid port "70000" in listen entry "127\.0\.0\.1:70000"/);
    rejects({ listen: "127.0.0.1:http" }, RangeError, /service names are not supported/);
    rejects({ listen: "127.0.0.1:" }, RangeError, /^Invalid port "" in listen entry "127\.0\.0\.1:"/);
    rejects({ listen: [{ host: "a", port: 1.5 }] }, RangeError, /^Invalid port 1\.5 in listen entry for host "a"/);
  });

  it("resolveSettings() requires brackets around IPv6 listen addresses with a port", () => {
    rejects({ listen: "1:2:3" }, TypeError,
      /^Invalid listen entry "1:2:3": IPv6 addresses must be in brackets when a port is given, e\.g\. "\[::1\]:8080"$/);
    rejects({ listen: "[::1" }, TypeError, /^Invalid listen entry "\[::1": missing "\]"/);
    rejects({ listen: "[::1]8080" }, TypeError, /^Invalid listen entry "\[::1\]8080": expected ":PORT" after "\]"$/);
    rejects({ listen: "[127.0.0.1]:80" }, TypeError, /"127\.0\.0\.1" is not an IPv6 address/);
  });

  it("resolveSettings() rejects listen entries without a host or with a bad host", () => {
    rejects({ listen: "8080" }, TypeError, /^Invalid listen entry "8080": it has no host; write "\*:8080"/);
    rejects({ listen: ":8080" }, TypeError, /^Invalid listen entry ":8080": the host is empty/);
    rejects({ listen: "bad!host:80" }, TypeError, /^Invalid listen entry "bad!host:80": "bad!host" is not a valid host/);
    rejects({ listen: [42] }, TypeError, /^Invalid value 42 for setting "listen"/);
    rejects({ listen: 8080 }, TypeError, /^Invalid value 8080 for setting "listen"/);
  });
});

describe("resolveSettings mutual exclusions", () => {
  it("resolveSettings() rejects listen with host or port", () => {
    rejects({ host: "localhost", port: "8080", listen: "127.0.0.1:8080" }, TypeError,
      /^Settings "listen" and "host" cannot be used together/);
    rejects({ port: 8080, listen: "127.0.0.1:8080" }, TypeError, /^Settings "listen" and "port" cannot be used together/);
  });

  it("resolveSettings() takes sockets as descriptor numbers or { fd }, each once", () => {
    assert.deepEqual(resolve({ sockets: [3, { fd: 0 }, 7] }).sockets, [3, 0, 7]);
    rejects({ sockets: [{}] }, TypeError, /^Invalid entry \{\} in setting "sockets": expected a file descriptor number .*Waitress takes socket objects, this server their descriptors$/);
    rejects({ sockets: [-1] }, TypeError, /^Invalid entry -1 in setting "sockets"/);
    rejects({ sockets: ["3"] }, TypeError, /^Invalid entry "3" in setting "sockets"/);
    rejects({ sockets: [3.5] }, TypeError, /^Invalid entry 3.5 in setting "sockets"/);
    rejects({ sockets: [3, { fd: 3 }] }, TypeError, /^Setting "sockets" lists descriptor 3 twice: list each inherited socket once$/);
  });

  it("resolveSettings() rejects listen with sockets", () => {
    rejects({ listen: "127.0.0.1:8080", sockets: [3] }, TypeError, /^Settings "listen" and "sockets" cannot be used together/);
  });

  it("resolveSettings() rejects sockets with host or port", () => {
    rejects({ host: "localhost", port: "8080", sockets: [3] }, TypeError, /^Settings "sockets" and "host" cannot be used together/);
    rejects({ port: "8080", sockets: [3] }, TypeError, /^Settings "sockets" and "port" cannot be used together/);
  });

  it("resolveSettings() rejects sockets with unixSocket", () => {
    rejects({ unixSocket: "./tmp/test", sockets: [3] }, TypeError,
      /^Settings "sockets" and "unixSocket" cannot be used together/);
  });

  it("resolveSettings() rejects unixSocket with host or port", () => {
    rejects({ unixSocket: "./tmp/test", host: "localhost", port: "8080" }, TypeError,
      /^Settings "unixSocket" and "host" cannot be used together/);
    rejects({ unixSocket: "./tmp/test", port: 1 }, TypeError, /^Settings "unixSocket" and "port" cannot be used together/);
  });

  it("resolveSettings() rejects unixSocket with listen", () => {
    rejects({ unixSocket: "./tmp/test", listen: "127.0.0.1:8080" }, TypeError,
      /^Settings "unixSocket" and "listen" cannot be used together/);
  });

  it("resolveSettings() accepts listen, sockets or unixSocket alone (defaults never conflict)", () => {
    assert.doesNotThrow(() => resolve({ listen: "127.0.0.1:8080" }));
    assert.doesNotThrow(() => resolve({ sockets: [3] }));
    assert.doesNotThrow(() => resolve({ unixSocket: "/tmp/s" }));
    assert.doesNotThrow(() => resolve({ sockets: [], host: "127.0.0.1" }));
  });

  it("resolveSettings() rejects ipv4 and ipv6 both disabled", () => {
    rejects({ ipv4: false, ipv6: "no" }, TypeError, /^Settings "ipv4" and "ipv6" are both false/);
  });

  it("resolveSettings() rejects IP literals of a disabled family", () => {
    rejects({ ipv4: false, listen: "127.0.0.1:8080" }, TypeError,
      /^The listen entry for "127\.0\.0\.1" is an IPv4 address but setting "ipv4" is false/);
    rejects({ ipv6: false, listen: "[::]:8080" }, TypeError,
      /^The listen entry for "::" is an IPv6 address but setting "ipv6" is false/);
    rejects({ ipv4: false }, TypeError, /^The host "0\.0\.0\.0" is an IPv4 address but setting "ipv4" is false/);
    assert.deepEqual(resolve({ ipv4: false, listen: "*:8080 localhost:81" }).listen,
      [{ host: "*", port: 8080 }, { host: "localhost", port: 81 }]);
  });
});

describe("resolveSettings warnings", () => {
  it("resolveSettings() warns that sendBytes is deprecated", () => {
    const { warnings } = resolveSettings({ sendBytes: 1 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^sendBytes is deprecated/);
  });

  it("resolveSettings() warns that the asyncore settings have no effect", () => {
    const { warnings } = resolveSettings({ asyncoreLoopTimeout: 1, asyncoreUsePoll: "false" });
    assert.deepEqual(warnings.map((w) => w.split(" ")[0]), ["asyncoreLoopTimeout", "asyncoreUsePoll"]);
    assert.match(warnings[0]!, /has no effect/);
  });
});

describe("parseCliArgs", () => {
  const cliError = (argv: string[], message: RegExp) =>
    assert.throws(() => parseCliArgs(argv), (e: unknown) => {
      assert.ok(e instanceof CliError, `expected CliError, got ${String(e)}`);
      assert.ok(e instanceof Error);
      assert.equal(e.name, "CliError");
      assert.ok(!e.message.includes("\n"), "one line");
      assert.match(e.message, message);
      return true;
    });

  it("parseCliArgs() returns empty options for no arguments", () => {
    assert.deepEqual(parseCliArgs([]), { options: {}, call: false, help: false, version: false, extraApps: [] });
  });

  it("parseCliArgs() reads --help, -h and --call", () => {
    assert.deepEqual(parseCliArgs(["--help"]), { options: {}, call: false, help: true, version: false, extraApps: [] });
    assert.equal(parseCliArgs(["-h"]).help, true);
    assert.deepEqual(parseCliArgs(["--call"]), { options: {}, call: true, help: false, version: false, extraApps: [] });
    const both = parseCliArgs(["--call", "--help"]);
    assert.equal(both.call && both.help, true);
  });

  it("parseCliArgs() reads positive and negative boolean flags", () => {
    assert.deepEqual(parseCliArgs(["--expose-tracebacks"]).options, { exposeTracebacks: true });
    assert.deepEqual(parseCliArgs(["--no-expose-tracebacks"]).options, { exposeTracebacks: false });
    assert.deepEqual(parseCliArgs(["--no-ipv6", "--ipv6"]).options, { ipv6: true });
  });

  it("parseCliArgs() keeps values as strings for resolveSettings to cast", () => {
    const { options } = parseCliArgs(["--host=localhost", "--port=80", "--unix-socket-perms=777"]);
    assert.deepEqual(options, { host: "localhost", port: "80", unixSocketPerms: "777" });
  });

  it("parseCliArgs() accepts --name value as well as --name=value", () => {
    const { options, app } = parseCliArgs(["--port", "80", "--url-prefix", "/x", "a:b"]);
    assert.deepEqual(options, { port: "80", urlPrefix: "/x" });
    assert.equal(app, "a:b");
    assert.deepEqual(parseCliArgs(["--threads", "-1"]).options, { threads: "-1" });
    assert.deepEqual(parseCliArgs(["--ident="]).options, { ident: "" });
  });

  it("parseCliArgs() accumulates repeated --listen", () => {
    assert.deepEqual(parseCliArgs(["--listen=test:80"]).options, { listen: ["test:80"] });
    const { options } = parseCliArgs(["--listen=127.0.0.1:80", "--listen", "[::1]:8080"]);
    assert.deepEqual(options, { listen: ["127.0.0.1:80", "[::1]:8080"] });
    assert.deepEqual(resolve(options).listen, [{ host: "127.0.0.1", port: 80 }, { host: "::1", port: 8080 }]);
  });

  it("parseCliArgs() accumulates repeated proxy list flags", () => {
    const { options } = parseCliArgs(["--trusted-proxy=10.0.0.1", "--trusted-proxy=10.0.0.2",
      "--trusted-proxy-headers=x-forwarded-for", "--trusted-proxy-headers=x-forwarded-proto"]);
    const s = resolve(options);
    assert.equal(s.trustedProxy, "10.0.0.1 10.0.0.2");
    assert.deepEqual(s.trustedProxyHeaders, new Set(["x-forwarded-for", "x-forwarded-proto"]));
  });

  it("parseCliArgs() reads the application from the positional argument or --app", () => {
    assert.equal(parseCliArgs(["./app.ts:default"]).app, "./app.ts:default");
    assert.equal(parseCliArgs(["--app=./app.ts:handler"]).app, "./app.ts:handler");
    assert.equal(parseCliArgs(["--app", "x:y"]).app, "x:y");
  });

  it("parseCliArgs() reports extra applications in extraApps", () => {
    const a = parseCliArgs(["a:a", "b:b"]);
    assert.equal(a.app, "a:a");
    assert.deepEqual(a.extraApps, ["b:b"]);
    const b = parseCliArgs(["--app=a:a", "b:b"]);
    assert.equal(b.app, "a:a");
    assert.deepEqual(b.extraApps, ["b:b"]);
  });

  it("parseCliArgs() passes only the given settings through (runner simple call)", () => {
    const r = parseCliArgs(["--port=80", "tests.fixtureapps.runner:app"]);
    assert.deepEqual(r.options, { port: "80" });
    assert.equal(r.app, "tests.fixtureapps.runner:app");
    assert.equal(r.call, false);
    const c = parseCliArgs(["--port=80", "--call", "tests.fixtureapps.runner:returns_app"]);
    assert.deepEqual(c.options, { port: "80" });
    assert.equal(c.call, true);
  });

  it("parseCliArgs() reads --config and --log-level", () => {
    const r = parseCliArgs(["--config", "prod.ini", "--log-level=debug"]);
    assert.equal(r.config, "prod.ini");
    assert.deepEqual(r.options, { logLevel: "debug" });
    assert.equal(parseCliArgs(["--config=x.ini"]).config, "x.ini");
  });

  it("parseCliArgs() reads --access-log as a flag or with =FILE", () => {
    assert.deepEqual(parseCliArgs(["--access-log", "a:b"]).options, { accessLog: true });
    assert.equal(parseCliArgs(["--access-log", "a:b"]).app, "a:b");
    assert.deepEqual(parseCliArgs(["--access-log=/tmp/a.log"]).options, { accessLog: "/tmp/a.log" });
    assert.deepEqual(parseCliArgs(["--no-access-log"]).options, { accessLog: false });
  });

  it("parseCliArgs() treats everything after -- as applications", () => {
    const r = parseCliArgs(["--", "--weird:app"]);
    assert.equal(r.app, "--weird:app");
    assert.deepEqual(r.options, {});
  });

  it("parseCliArgs() rejects an unknown option", () => {
    cliError(["--bad-opt"], /^option --bad-opt not recognized$/);
    cliError(["--bad-opt=1"], /^option --bad-opt not recognized$/);
    cliError(["-x"], /^option -x not recognized$/);
    cliError(["--sockets=3"], /^option --sockets not recognized/);
  });

  it("parseCliArgs() suggests the closest option", () => {
    cliError(["--treads=4"], /^option --treads not recognized; did you mean --threads\?$/);
    cliError(["--max_request_body_size=4"], /did you mean --max-request-body-size\?$/);
    cliError(["--halp"], /did you mean --help\?$/);
  });

  it("parseCliArgs() rejects --no- on a non-boolean option", () => {
    cliError(["--no-host"], /^option --no-host not recognized: --host is not a boolean flag$/);
  });

  it("parseCliArgs() rejects a missing value", () => {
    cliError(["--port"], /^option --port requires a value$/);
    cliError(["--port", "--host=x"], /^option --port requires a value$/);
    cliError(["--app"], /^option --app requires a value$/);
    cliError(["--config"], /^option --config requires a value$/);
    cliError(["--listen"], /^option --listen requires a value$/);
  });

  it("parseCliArgs() rejects a value on a flag that takes none", () => {
    cliError(["--expose-tracebacks=yes"], /^option --expose-tracebacks does not take a value; use --expose-tracebacks or --no-expose-tracebacks$/);
    cliError(["--no-ipv4=1"], /^option --no-ipv4 does not take a value$/);
    cliError(["--help=1"], /^option --help does not take a value$/);
    cliError(["--call=yes"], /^option --call does not take a value$/);
  });

  it("parseCliArgs() has no flag for programmatic-only settings and one for every other", () => {
    for (const spec of SETTINGS) {
      if (spec.cli) assert.doesNotThrow(() => parseCliArgs(cliArgsFor(spec, SAMPLES[spec.name].text)), spec.flag);
      else cliError([`--${spec.flag}=x`], /not recognized/);
    }
  });
});

describe("splitAppSpec", () => {
  it("splitAppSpec() splits MODULE:EXPORT at the last colon", () => {
    assert.deepEqual(splitAppSpec("foo.bar:fred.barney"), { module: "foo.bar", exportName: "fred.barney" });
    assert.deepEqual(splitAppSpec("./app.ts:default"), { module: "./app.ts", exportName: "default" });
    assert.deepEqual(splitAppSpec("C:\\srv\\app.ts:handler"), { module: "C:\\srv\\app.ts", exportName: "handler" });
    assert.deepEqual(splitAppSpec("file:///srv/app.js:app"), { module: "file:///srv/app.js", exportName: "app" });
  });

  it("splitAppSpec() rejects malformed applications", () => {
    for (const bad of ["", "a", "foo.bar", ":x", "./app.ts:", "C:\\app.ts", "a:b c"]) {
      assert.throws(() => splitAppSpec(bad), (e: unknown) =>
        e instanceof CliError && e.message.startsWith(`Malformed application ${JSON.stringify(bad)}`), bad);
    }
  });
});

describe("cliHelp and settingsMarkdown", () => {
  it("cliHelp() lists every CLI option with its default", () => {
    const help = cliHelp();
    assert.ok(help.startsWith("Usage:\n\n    waitress-serve [OPTIONS] MODULE[:EXPORT]\n"));
    for (const flag of ["--help", "--version", "--call", "--app=MODULE[:EXPORT]", "--config=FILE"]) assert.ok(help.includes(flag), flag);
    for (const spec of SETTINGS) {
      if (!spec.cli) {
        assert.ok(!help.includes(`--${spec.flag}`), spec.flag);
        continue;
      }
      const usage = spec.kind === "bool" ? `--[no-]${spec.flag}\n` : spec.kind === "boolOrString"
        ? `--[no-]${spec.flag}[=${spec.metavar}]\n` : `--${spec.flag}=${spec.metavar}\n`;
      assert.ok(help.includes(`  ${usage}`), spec.flag);
    }
    assert.match(help, /--port=PORT\n\s+TCP port to listen on; 0 picks a free port\.[^]*?Default: 8080\./);
    assert.match(help, /--unix-socket-perms=PERMS\n[^]*?Default: 600\./);
    assert.match(help, /--\[no-\]ipv4\n[^]*?Default: on\./);
    assert.ok(help.split("\n").every((line) => line.length <= 100), "lines are wrapped");
    assert.ok(cliHelp("serve").includes("    serve [OPTIONS]"));
  });

  it("settingsMarkdown() has one table row per setting", () => {
    const lines = settingsMarkdown().trimEnd().split("\n");
    assert.equal(lines[0], "| Setting | CLI flag | ini key | Default | Meaning |");
    assert.equal(lines.length, SETTINGS.length + 2);
    assert.ok(lines.includes(lines.find((l) => l.startsWith("| `maxRequestBodySize` | `--max-request-body-size=INT` | " +
      "`max_request_body_size` | `1073741824` |"))!));
    assert.ok(lines.some((l) => l.startsWith("| `sockets` | — | — |")));
    assert.ok(lines.some((l) => l.startsWith("| `ipv4` | `--ipv4` / `--no-ipv4` | `ipv4` | `true` |")));
    assert.ok(lines.some((l) => l.includes("`headerTimeout`") && l.includes("*(not in Waitress)*")));
    for (const line of lines.slice(2)) assert.equal(line.split(/(?<!\\)\|/).length, 7, line);
  });
});
