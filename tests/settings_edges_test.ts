/**
 * Settings, the less common inputs: values of unexpected types (as serve() options from
 * JavaScript), IPv6 host forms, listen entries as objects, list settings with empty and
 * non-string items, and null for the settings that take it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { resolveSettings, type ServeOptions } from "../src/settings/adjustments.ts";

const resolve = (options: Record<string, unknown>) => resolveSettings(options as ServeOptions).settings;

/** Asserts that resolving `options` throws `type` with exactly `message`. */
function rejects(options: Record<string, unknown>, type: typeof TypeError | typeof RangeError, message: string) {
  assert.throws(() => resolveSettings(options as ServeOptions), (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.equal((e as Error).message, message);
    return true;
  });
}

describe("resolveSettings() values of unexpected types", () => {
  it("resolveSettings() shows booleans, null and undefined-like values as written", () => {
    rejects({ port: true }, TypeError, 'Invalid value true for setting "port": expected a whole number or its decimal string');
    rejects({ port: null }, TypeError, 'Invalid value null for setting "port": expected a whole number or its decimal string');
    rejects({ port: 10n }, TypeError, 'Invalid value 10n for setting "port": expected a whole number or its decimal string');
    rejects({ port: [80] }, TypeError, 'Invalid value [80] for setting "port": expected a whole number or its decimal string');
    rejects({ port: [1n] }, TypeError, 'Invalid value an array for setting "port": expected a whole number or its decimal string');
    rejects({ port: { n: 1 } }, TypeError, 'Invalid value [object Object] for setting "port": expected a whole number or its decimal string');
  });

  it("resolveSettings() rejects seconds and octal permissions of other types", () => {
    rejects({ channelTimeout: true }, TypeError, 'Invalid value true for setting "channelTimeout": expected a number of seconds');
    rejects({ unixSocketPerms: 1.5 }, TypeError, 'Invalid value 1.5 for setting "unixSocketPerms": expected an integer such as 0o600');
    rejects({ unixSocketPerms: false }, TypeError,
      'Invalid value false for setting "unixSocketPerms": expected octal permissions such as "600" or 0o600');
  });

  it("resolveSettings() reads the numbers 1 and 0 as booleans, and no other number", () => {
    assert.equal(resolve({ ipv6: 0 }).ipv6, false);
    assert.equal(resolve({ host: "::", ipv4: 0, ipv6: 1 }).ipv4, false);
    rejects({ ipv6: 2 }, TypeError, 'Invalid value 2 for setting "ipv6": expected a boolean (true/false, yes/no, on/off, 1/0)');
  });

  it("resolveSettings() takes null for trustedProxyCount as not given", () => {
    assert.equal(resolve({ trustedProxyCount: null }).trustedProxyCount, undefined);
    assert.equal(resolve({ trustedProxy: "127.0.0.1", trustedProxyCount: null }).trustedProxyCount, 1);
  });

  it("resolveSettings() rejects an accessLogFormat with an unknown directive, quoting the format error", () => {
    assert.throws(() => resolveSettings({ accessLogFormat: "%h %Q" }), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, /^Invalid value "%h %Q" for setting "accessLogFormat": Invalid access log format "%h %Q": unknown directive "%Q" at position 3/);
      return true;
    });
  });
});

describe("resolveSettings() IPv6 hosts", () => {
  it("resolveSettings() accepts IPv6 hosts with or without brackets, with a zone or an embedded IPv4 part", () => {
    for (const [host, expected] of [
      ["::1", "::1"], ["[::1]", "::1"], ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"], ["fe80::1%eth0", "fe80::1%eth0"],
      ["::ffff:192.0.2.1", "::ffff:192.0.2.1"], ["[1:2:3:4:5:6:192.0.2.1]", "1:2:3:4:5:6:192.0.2.1"],
    ]) {
      assert.deepEqual(resolve({ host }).listen, [{ host: expected, port: 8080 }], host);
    }
  });

  it("resolveSettings() rejects host values that are not IPv6 addresses, saying so", () => {
    for (const host of ["1:2:3", "1::2::3", "1:2:3:4:5:6:7:8:9", "fe80::1%", "fe80::1%a/b", "::ffff:192.0.2", "::g", "12345::1"]) {
      rejects({ host }, TypeError, `Invalid value ${JSON.stringify(host)} for setting "host": ${JSON.stringify(host)} is not an IPv6 address`);
    }
  });

  it("resolveSettings() does not take zones in trustedProxy entries", () => {
    rejects({ trustedProxy: "fe80::1%eth0" }, TypeError, 'Invalid trustedProxy entry "fe80::1%eth0": not an IP address; use IP ' +
      'addresses, CIDR ranges such as "10.0.0.0/8" or "fd00::/8", "*" or "localhost"');
  });
});

describe("resolveSettings() listen entries as objects", () => {
  it("resolveSettings() accepts { host, port } objects with a number or a digit string port", () => {
    assert.deepEqual(resolve({ listen: [{ host: "127.0.0.1", port: 80 }, { host: "[::1]", port: " 8080 " }] }).listen,
      [{ host: "127.0.0.1", port: 80 }, { host: "::1", port: 8080 }]);
  });

  it("resolveSettings() rejects an object entry whose host is not a string or not a host", () => {
    rejects({ listen: [{ host: 1, port: 80 }] }, TypeError,
      'Invalid value [object Object] for setting "listen": expected { host: string, port: number } entries');
    rejects({ listen: [{ host: "a b", port: 80 }] }, TypeError, 'Invalid listen entry "a b": "a b" is not a valid host name or address');
  });

  it("resolveSettings() rejects an object entry whose port is not 0-65535", () => {
    for (const [port, shown] of [[1.5, "1.5"], [-1, "-1"], [65536, "65536"], ["http", '"http"'], [null, "null"], [true, "true"]] as const) {
      rejects({ listen: [{ host: "127.0.0.1", port }] }, RangeError,
        `Invalid port ${shown} in listen entry for host "127.0.0.1": expected a number from 0 to 65535`);
    }
  });
});

describe("resolveSettings() list settings", () => {
  it("resolveSettings() rejects a trustedProxy array item that is not a string", () => {
    rejects({ trustedProxy: ["127.0.0.1", 1] }, TypeError, 'Invalid value 1 for setting "trustedProxy": expected address strings');
  });

  it("resolveSettings() skips empty trustedProxyHeaders entries and rejects non-string items", () => {
    const s = resolve({ trustedProxy: "127.0.0.1", trustedProxyHeaders: [" x-forwarded-for, ", "", "X-Forwarded-Proto"] });
    assert.deepEqual([...s.trustedProxyHeaders].sort(), ["x-forwarded-for", "x-forwarded-proto"]);
    rejects({ trustedProxy: "127.0.0.1", trustedProxyHeaders: ["x-forwarded-for", 1] }, TypeError,
      'Invalid value 1 for setting "trustedProxyHeaders": expected header name strings');
  });
});
