/**
 * src/http1/ip.ts as data: IP literals and what each caller accepts (bind hosts and listen entries
 * in the settings, peers and trustedProxy entries in the proxy policy, bracketed Host literals in
 * the request parser), their values, CIDR ranges, and the RFC 3986 grammar itself checked against
 * random text.
 *
 * Before this module the four callers had a parser each and disagreed on odd inputs; the table notes
 * what each old one did where they differed. Kept: the settings' set (zones with names, for bind
 * hosts) and the proxy's (any zone, ignored, for peers). Fixed: Host literals only looked at the
 * characters (hex digits, ":" and "." with two colons or more), so "[1::2::3]" or "[:::]" passed as
 * a valid authority, from a client and from a trusted proxy's X-Forwarded-Host alike.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { inIpRange, ipFamily, isIPv4, isIPv6, isIPv6At, type IpWords, parseIp, parseIpRange } from "../src/http1/ip.ts";
import { isValidAuthority } from "../src/http1/abnf.ts";

type Family = 4 | 6 | undefined;

/**
 * One text, and the family each caller now sees in it:
 * - `uri`: no zone (`"refuse"`; a Host literal `[text]` is valid exactly when this is 6),
 * - `bind`: zones of letters, digits, "_", "." and "-" (`"name"`; host, listen entries),
 * - `peer`: any zone, ignored (`"any"`; peers and parseTrustedProxy entries).
 */
interface Case {
  text: string;
  uri: Family;
  bind: Family;
  peer: Family;
  /** What the old parsers did where they differed from today. */
  was?: string;
}

const CASES: Case[] = [
  // IPv4: four decimal parts 0-255, no leading zeros.
  { text: "0.0.0.0", uri: 4, bind: 4, peer: 4 },
  { text: "127.0.0.1", uri: 4, bind: 4, peer: 4 },
  { text: "255.255.255.255", uri: 4, bind: 4, peer: 4 },
  { text: "256.0.0.1", uri: undefined, bind: undefined, peer: undefined, was: "server.ts: a literal (\\d{1,3} parts)" },
  { text: "999.1.1.1", uri: undefined, bind: undefined, peer: undefined, was: "server.ts: a literal" },
  { text: "010.0.0.1", uri: undefined, bind: undefined, peer: undefined, was: "server.ts: a literal" },
  { text: "1.2.3", uri: undefined, bind: undefined, peer: undefined },
  { text: "1.2.3.4.5", uri: undefined, bind: undefined, peer: undefined },
  { text: "1.2.3.", uri: undefined, bind: undefined, peer: undefined },
  { text: ".1.2.3", uri: undefined, bind: undefined, peer: undefined },
  { text: "1..2.3", uri: undefined, bind: undefined, peer: undefined },
  { text: "1.2.3.+4", uri: undefined, bind: undefined, peer: undefined },
  { text: "1.2.3.4%eth0", uri: undefined, bind: undefined, peer: undefined },
  { text: "", uri: undefined, bind: undefined, peer: undefined },
  { text: "*", uri: undefined, bind: undefined, peer: undefined },
  { text: "localhost", uri: undefined, bind: undefined, peer: undefined },
  // IPv6: eight groups of 1-4 hex digits, or fewer around one "::"; an IPv4 tail counts as two.
  { text: "::", uri: 6, bind: 6, peer: 6 },
  { text: "::1", uri: 6, bind: 6, peer: 6 },
  { text: "1::", uri: 6, bind: 6, peer: 6 },
  { text: "0:0:0:0:0:0:0:1", uri: 6, bind: 6, peer: 6 },
  { text: "2001:DB8:0::1", uri: 6, bind: 6, peer: 6 },
  { text: "1:2:3:4:5:6:7::", uri: 6, bind: 6, peer: 6 },
  { text: "::2:3:4:5:6:7:8", uri: 6, bind: 6, peer: 6 },
  { text: "1::2:3:4:5:6:7", uri: 6, bind: 6, peer: 6 },
  { text: "::ffff:192.0.2.1", uri: 6, bind: 6, peer: 6 },
  { text: "::192.0.2.1", uri: 6, bind: 6, peer: 6 },
  { text: "1:2:3:4:5:6:1.2.3.4", uri: 6, bind: 6, peer: 6 },
  { text: "1:2:3:4:5:6:7:8:9", uri: undefined, bind: undefined, peer: undefined },
  { text: "1:2:3:4:5:6:7", uri: undefined, bind: undefined, peer: undefined },
  { text: "1:2:3:4:5:6:7:8::", uri: undefined, bind: undefined, peer: undefined },
  { text: "1:2:3:4:5:6:7::8", uri: undefined, bind: undefined, peer: undefined },
  { text: "1:2:3:4:5:6:7:1.2.3.4", uri: undefined, bind: undefined, peer: undefined },
  { text: "1:2:3:4:5:1.2.3.4", uri: undefined, bind: undefined, peer: undefined },
  { text: "1:2", uri: undefined, bind: undefined, peer: undefined, was: "server.ts: a literal (any colon)" },
  { text: "1::2::3", uri: undefined, bind: undefined, peer: undefined, was: "Host literal and server.ts: valid" },
  { text: ":::", uri: undefined, bind: undefined, peer: undefined, was: "Host literal and server.ts: valid" },
  { text: ":1::", uri: undefined, bind: undefined, peer: undefined, was: "Host literal and server.ts: valid" },
  { text: "1::2:", uri: undefined, bind: undefined, peer: undefined, was: "Host literal and server.ts: valid" },
  { text: "12345::1", uri: undefined, bind: undefined, peer: undefined, was: "Host literal and server.ts: valid" },
  { text: "::1.2.3", uri: undefined, bind: undefined, peer: undefined, was: "Host literal and server.ts: valid" },
  { text: "::256.1.1.1", uri: undefined, bind: undefined, peer: undefined, was: "Host literal and server.ts: valid" },
  { text: "::1.2.3.04", uri: undefined, bind: undefined, peer: undefined, was: "Host literal and server.ts: valid" },
  { text: "1.2.3.4::", uri: undefined, bind: undefined, peer: undefined, was: "Host literal and server.ts: valid" },
  { text: "::1.2.3.4:1", uri: undefined, bind: undefined, peer: undefined, was: "Host literal and server.ts: valid" },
  { text: "fe80::g1", uri: undefined, bind: undefined, peer: undefined, was: "server.ts: a literal" },
  { text: "::\u0661", uri: undefined, bind: undefined, peer: undefined, was: "server.ts: a literal" },
  // Zones: refused in URIs, names for bind hosts, anything (ignored) from peers.
  { text: "fe80::1%eth0", uri: undefined, bind: 6, peer: 6 },
  { text: "fe80::1%en0.5_a-b", uri: undefined, bind: 6, peer: 6 },
  { text: "::ffff:1.2.3.4%eth0", uri: undefined, bind: 6, peer: 6 },
  { text: "fe80::1%", uri: undefined, bind: undefined, peer: 6, was: "server.ts: a literal" },
  { text: "fe80::1%a b", uri: undefined, bind: undefined, peer: 6, was: "server.ts: a literal" },
  { text: "fe80::1%25eth0", uri: undefined, bind: 6, peer: 6 },
  { text: "fe80::1%eth0%1", uri: undefined, bind: undefined, peer: 6, was: "server.ts: a literal" },
  { text: "fe80::g%eth0", uri: undefined, bind: undefined, peer: undefined, was: "server.ts: a literal" },
  { text: "[::1]", uri: undefined, bind: undefined, peer: undefined, was: "server.ts: a literal" },
];

describe("ip: which text is an address, per caller", () => {
  for (const c of CASES) {
    it(`${JSON.stringify(c.text)}: ${c.uri ?? "-"} in URIs, ${c.bind ?? "-"} as a bind host, ${c.peer ?? "-"} as a peer` +
      (c.was ? ` (was ${c.was})` : ""), () => {
      assert.equal(ipFamily(c.text), c.uri, "ipFamily(text)");
      assert.equal(ipFamily(c.text, "refuse"), c.uri, "ipFamily(text, refuse)");
      assert.equal(ipFamily(c.text, "name"), c.bind, "ipFamily(text, name)");
      assert.equal(ipFamily(c.text, "any"), c.peer, "ipFamily(text, any)");
      assert.equal(isIPv4(c.text), c.uri === 4, "isIPv4");
      assert.equal(isIPv6(c.text), c.uri === 6, "isIPv6");
      assert.equal(isIPv6(c.text, "name"), c.bind === 6, "isIPv6(name)");
      assert.equal(parseIp(c.text, "any") !== undefined, c.peer !== undefined, "parseIp(any)");
      assert.equal(parseIp(c.text, "name") !== undefined, c.bind !== undefined, "parseIp(name)");
      // The Host literal: RFC 3986 IPv6address between the brackets, read in place.
      const host = `[${c.text}]:80`;
      assert.equal(isIPv6At(host, 1, 1 + c.text.length), c.uri === 6, "isIPv6At");
      assert.equal(isValidAuthority(host), c.uri === 6, `isValidAuthority(${JSON.stringify(host)})`);
    });
  }
});

describe("ip: values", () => {
  const VALUES: [text: string, words: IpWords | undefined][] = [
    ["0.0.0.0", [0, 0, 0xffff, 0]],
    ["10.0.0.1", [0, 0, 0xffff, 0x0a000001]],
    ["255.255.255.255", [0, 0, 0xffff, 0xffffffff]],
    ["::ffff:10.0.0.1", [0, 0, 0xffff, 0x0a000001]],
    ["::ffff:a00:1", [0, 0, 0xffff, 0x0a000001]],
    ["::", [0, 0, 0, 0]],
    ["::1", [0, 0, 0, 1]],
    ["1::", [0x10000, 0, 0, 0]],
    ["2001:db8::ff00:42:8329", [0x20010db8, 0, 0xff00, 0x428329]],
    ["2001:0DB8:0000:0000:0000:FF00:0042:8329", [0x20010db8, 0, 0xff00, 0x428329]],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]],
    ["1:2:3:4:5:6:7::", [0x10002, 0x30004, 0x50006, 0x70000]],
    ["::2:3:4:5:6:7:8", [0x2, 0x30004, 0x50006, 0x70008]],
    ["1:2::7:8", [0x10002, 0, 0, 0x70008]],
    ["64:ff9b::192.0.2.33", [0x64ff9b, 0, 0, 0xc0000221]],
    ["1::2::3", undefined],
  ];
  for (const [text, words] of VALUES) {
    it(`parseIp(${JSON.stringify(text)}) is ${JSON.stringify(words)}`, () => {
      assert.deepEqual(parseIp(text), words);
    });
  }

  it("parseIp() ignores a zone only where asked", () => {
    assert.deepEqual(parseIp("fe80::1%eth0", "any"), [0xfe800000, 0, 0, 1]);
    assert.deepEqual(parseIp("fe80::1%eth0", "name"), [0xfe800000, 0, 0, 1]);
    assert.equal(parseIp("fe80::1%eth0"), undefined);
  });
});

describe("ip: CIDR ranges", () => {
  const RANGES: [address: string, prefix: string | undefined, family: 4 | 6 | undefined, bits?: number][] = [
    ["10.0.0.0", "8", 4, 104],
    ["10.0.0.1", undefined, 4, 128],
    ["0.0.0.0", "0", 4, 96],
    ["10.0.0.0", "32", 4, 128],
    ["10.0.0.0", "33", undefined],
    ["10.0.0.0", "08", undefined],
    ["10.0.0.0", "", undefined],
    ["10.0.0.0", "x", undefined],
    ["10.0.0.0", "-1", undefined],
    ["10.0.0.0", "1000", undefined],
    ["fd00::", "8", 6, 8],
    ["::", "0", 6, 0],
    ["::1", undefined, 6, 128],
    ["::", "128", 6, 128],
    ["::", "129", undefined],
    ["::ffff:192.0.2.0", "120", 6, 120],
    ["example.com", "8", undefined],
  ];
  for (const [address, prefix, family, bits] of RANGES) {
    it(`parseIpRange(${JSON.stringify(address)}, ${JSON.stringify(prefix)}) is ${family === undefined ? "invalid" : `IPv${family}, ${bits} bits`}`, () => {
      const range = parseIpRange(address, prefix, "refuse");
      assert.equal(range?.family, family);
      assert.equal(range?.bits, bits);
    });
  }

  const MEMBERS: [range: string, address: string, inside: boolean][] = [
    ["10.0.0.0/8", "10.255.255.255", true],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["10.0.0.0/8", "::ffff:10.1.2.3", true],
    ["192.168.1.0/31", "192.168.1.1", true],
    ["192.168.1.0/31", "192.168.1.2", false],
    ["0.0.0.0/0", "203.0.113.1", true],
    ["0.0.0.0/0", "2001:db8::1", false],
    ["::/0", "203.0.113.1", true],
    ["::ffff:0:0/96", "198.51.100.1", true],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/33", "2001:db8:8000::1", false],
    ["2001:db8::/33", "2001:db8:7fff::1", true],
    ["fe80::/10", "febf::1", true],
    ["fe80::/10", "fec0::1", false],
    ["255.255.255.255/32", "255.255.255.255", true],
    ["255.255.255.254/31", "255.255.255.255", true],
    ["ffff:ffff::/17", "ffff:8000::", true],
    ["ffff:ffff::/17", "ffff:7fff::", false],
  ];
  for (const [range, address, inside] of MEMBERS) {
    it(`${address} is ${inside ? "in" : "not in"} ${range}`, () => {
      const [base, prefix] = range.split("/");
      assert.equal(inIpRange(parseIp(address)!, parseIpRange(base!, prefix, "refuse")!), inside);
    });
  }
});

describe("ip: RFC 3986 grammar", () => {
  // RFC 3986 section 3.2.2, transcribed: the oracle the scanner must agree with.
  const h16 = "[0-9A-Fa-f]{1,4}";
  const dec = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  const v4 = `${dec}(?:\\.${dec}){3}`;
  const ls32 = `(?:${h16}:${h16}|${v4})`;
  const head = (n: number) => `(?:(?:${h16}:){0,${n}}${h16})?`;
  const IPV6 = new RegExp("^(?:" + [
    `(?:${h16}:){6}${ls32}`,
    `::(?:${h16}:){5}${ls32}`,
    `${head(0)}::(?:${h16}:){4}${ls32}`,
    `${head(1)}::(?:${h16}:){3}${ls32}`,
    `${head(2)}::(?:${h16}:){2}${ls32}`,
    `${head(3)}::${h16}:${ls32}`,
    `${head(4)}::${ls32}`,
    `${head(5)}::${h16}`,
    `${head(6)}::`,
  ].join("|") + ")$");
  const IPV4 = new RegExp(`^${v4}$`);

  it("isIPv6() and isIPv4() agree with the RFC's ABNF on random near-addresses", () => {
    let seed = 20240601;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const pick = <T>(items: readonly T[]): T => items[next(items.length)]!;
    const groups = ["0", "1", "f", "F", "a9", "ffff", "0db8", "00000", "12345", "g", "", ""];
    const parts = ["0", "1", "9", "255", "256", "00", "01", ""];
    let addresses = 0;
    for (let k = 0; k < 20000; k++) {
      // Groups joined by ":" (an empty group makes "::"), sometimes an IPv4 tail, sometimes a stray piece.
      const count = next(10);
      const list: string[] = [];
      for (let i = 0; i < count; i++) list.push(pick(groups));
      let text = list.join(":");
      if (next(3) === 0) {
        const v4: string[] = [];
        for (let i = 2 + next(4); i > 0; i--) v4.push(pick(parts));
        text += (text === "" || next(4) === 0 ? "" : ":") + v4.join(".");
      }
      if (next(8) === 0) text = pick([":", ".", "::"]) + text;
      const six = isIPv6(text);
      if (six) addresses++;
      assert.equal(six, IPV6.test(text), `isIPv6(${JSON.stringify(text)})`);
      assert.equal(isIPv4(text), IPV4.test(text), `isIPv4(${JSON.stringify(text)})`);
    }
    assert.ok(addresses > 300, `enough valid addresses among the samples (${addresses})`);
  });
});
