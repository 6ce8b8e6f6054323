/**
 * The access log: every directive and named format with a fixed record, Apache-style escaping of
 * client-controlled fields, buffering and flushing with a fake sink, and (once the server is
 * wired) lines from a real server to the logger and to a file.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServeOptions } from "../mod.ts";
import type { AccessRecord } from "../src/policy/access_record.ts";
import {
  ACCESS_LOG_FORMATS,
  AccessLog,
  compileAccessFormat,
  escapeLogItem,
  formatAccessRecord,
  lineSink,
} from "../src/policy/access_log.ts";
import { exchange, sleep, startServer } from "./_helpers.ts";

/** 10 Oct 2000 13:55:36.789 UTC, Apache's example time. */
const START = Date.UTC(2000, 9, 10, 13, 55, 36, 789);

const RECORD: AccessRecord = Object.freeze({
  remoteAddress: "192.0.2.7",
  method: "GET",
  target: "/a/b?x=1&y=2",
  httpVersion: "HTTP/1.1",
  status: 201,
  bodyBytes: 1234,
  startTime: START,
  durationMs: 2500.25,
  referer: "http://ref.example/page",
  userAgent: "curl/8.5.0",
  host: "example.com",
});

const record = (changes: Partial<AccessRecord> = {}): AccessRecord => ({ ...RECORD, ...changes });
const fmt = (format: string, changes: Partial<AccessRecord> = {}) => formatAccessRecord(record(changes), format);

describe("formatAccessRecord() named formats", () => {
  it("formatAccessRecord() writes Common Log Format for \"common\"", () => {
    assert.equal(fmt("common"), '192.0.2.7 - - [10/Oct/2000:13:55:36 +0000] "GET /a/b?x=1&y=2 HTTP/1.1" 201 1234');
  });

  it("formatAccessRecord() writes Combined Log Format for \"combined\"", () => {
    assert.equal(fmt("combined"), '192.0.2.7 - - [10/Oct/2000:13:55:36 +0000] "GET /a/b?x=1&y=2 HTTP/1.1" 201 1234 ' +
      '"http://ref.example/page" "curl/8.5.0"');
  });

  it("formatAccessRecord() writes \"-\" for absent referer and user agent and for an empty body", () => {
    assert.equal(fmt("combined", { referer: undefined, userAgent: undefined, bodyBytes: 0, status: 204 }),
      '192.0.2.7 - - [10/Oct/2000:13:55:36 +0000] "GET /a/b?x=1&y=2 HTTP/1.1" 204 - "-" "-"');
  });

  it("formatAccessRecord() treats the named formats as their directive strings", () => {
    assert.equal(ACCESS_LOG_FORMATS.common, '%h %l %u %t "%r" %>s %b');
    assert.equal(ACCESS_LOG_FORMATS.combined, '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"');
    assert.equal(fmt(ACCESS_LOG_FORMATS.combined), fmt("combined"));
  });

  it("formatAccessRecord() logs a request whose line could not be parsed as \"-\"", () => {
    const bad = { method: "-", target: "-", httpVersion: "-", status: 400, bodyBytes: 11, referer: undefined, userAgent: undefined, host: "" };
    assert.equal(fmt("combined", bad), '192.0.2.7 - - [10/Oct/2000:13:55:36 +0000] "-" 400 11 "-" "-"');
    assert.equal(fmt("%m|%U|%q|%H|%{Host}i", bad), "-|-||-|-");
  });
});

describe("formatAccessRecord() directives", () => {
  const cases: [string, string, Partial<AccessRecord>?][] = [
    ["%h", "192.0.2.7"],
    ["%h", "-", { remoteAddress: "" }],
    ["%h", "2001:db8::1", { remoteAddress: "2001:db8::1" }],
    ["%a", "192.0.2.7"],
    ["%l", "-"],
    ["%u", "-"],
    ["%t", "[10/Oct/2000:13:55:36 +0000]"],
    ["%t", "[01/Jan/2024:00:00:00 +0000]", { startTime: Date.UTC(2024, 0, 1) }],
    ["%t", "[31/Dec/1999:23:59:59 +0000]", { startTime: Date.UTC(1999, 11, 31, 23, 59, 59, 999) }],
    ["%{sec}t", "971186136"],
    ["%{msec}t", "971186136789"],
    ["%{iso}t", "2000-10-10T13:55:36.789Z"],
    ["%r", "GET /a/b?x=1&y=2 HTTP/1.1"],
    ["%r", "POST * HTTP/1.0", { method: "POST", target: "*", httpVersion: "HTTP/1.0" }],
    ["%m", "GET"],
    ["%U", "/a/b"],
    ["%U", "/plain", { target: "/plain" }],
    ["%q", "?x=1&y=2"],
    ["%q", "", { target: "/plain" }],
    ["%U%q", "/a/b?x=1&y=2"],
    ["%{target}U", "/a/b?x=1&y=2"],
    ["%H", "HTTP/1.1"],
    ["%>s", "201"],
    ["%s", "201"],
    ["%<s", "201"],
    ["%b", "1234"],
    ["%b", "-", { bodyBytes: 0 }],
    ["%B", "1234"],
    ["%B", "0", { bodyBytes: 0 }],
    ["%D", "2500250"],
    ["%D", "0", { durationMs: 0 }],
    ["%{us}T", "2500250"],
    ["%T", "2"],
    ["%T", "0", { durationMs: 999 }],
    ["%{s}T", "2"],
    ["%{ms}T", "2500"],
    ["%{ms}T", "1", { durationMs: 0.6 }],
    ["%{Referer}i", "http://ref.example/page"],
    ["%{referer}i", "http://ref.example/page"],
    ["%{User-agent}i", "curl/8.5.0"],
    ["%{USER-AGENT}i", "curl/8.5.0"],
    ["%{Host}i", "example.com"],
    ["%{Host}i", "-", { host: "" }],
    ["%{Referer}i", "-", { referer: undefined }],
    ["%%", "%"],
    ["100%% %>s%%", "100% 201%"],
    ["", ""],
    ["no directives", "no directives"],
    ["%h:%m %U %{ms}Tms", "192.0.2.7:GET /a/b 2500ms"],
  ];
  for (const [format, expected, changes] of cases) {
    const label = changes ? ` with ${JSON.stringify(changes)}` : "";
    it(`formatAccessRecord() writes ${JSON.stringify(format)} as ${JSON.stringify(expected)}${label}`, () => {
      assert.equal(fmt(format, changes), expected);
    });
  }

  it("compileAccessFormat() returns a function that formats many records", () => {
    const line = compileAccessFormat("%>s %b %{ms}T");
    assert.equal(line(record()), "201 1234 2500");
    assert.equal(line(record({ status: 404, bodyBytes: 0, durationMs: 3 })), "404 - 3");
    assert.equal(compileAccessFormat("constant")(record()), "constant");
    assert.equal(compileAccessFormat("%s")(record()), "201");
  });

  it("compileAccessFormat() formats the time of each record, across seconds", () => {
    const line = compileAccessFormat("%t");
    assert.equal(line(record({ startTime: START })), "[10/Oct/2000:13:55:36 +0000]");
    assert.equal(line(record({ startTime: START + 1000 })), "[10/Oct/2000:13:55:37 +0000]");
    assert.equal(line(record({ startTime: START })), "[10/Oct/2000:13:55:36 +0000]");
  });
});

describe("compileAccessFormat() errors", () => {
  const bad: [string, RegExp][] = [
    ["%x", /unknown directive "%x" at position 0/],
    ["ok %Z", /unknown directive "%Z" at position 3/],
    ["trailing %", /without a directive letter at the end at position 9/],
    ["%{Cookie}i", /unknown argument in "%\{Cookie\}i".*%\{Referer\}i, %\{User-Agent\}i or %\{Host\}i/],
    ["%{Referer", /unclosed "%\{" at position 0/],
    ["%{x}h", /"%\{x\}h" takes no \{argument\}/],
    ["%{h}T", /unknown argument in "%\{h\}T".*%\{ms\}T/],
    ["%{local}t", /unknown argument in "%\{local\}t"/],
    ["%>b", /">" only goes with %s/],
    ["%{path}U", /unknown argument in "%\{path\}U".*use %U or %\{target\}U/],
  ];
  for (const [format, message] of bad) {
    it(`compileAccessFormat() rejects ${JSON.stringify(format)} with a RangeError`, () => {
      assert.throws(() => compileAccessFormat(format), (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.match(error.message, message);
        assert.ok(error.message.includes(JSON.stringify(format)), "quotes the format");
        assert.match(error.message, /%%/, "says how to write a literal %");
        return true;
      });
    });
  }

  it("compileAccessFormat() rejects a format that is not a string with a TypeError", () => {
    assert.throws(() => compileAccessFormat(42 as unknown as string), TypeError);
  });

  it("new AccessLog() rejects a bad format, flushBytes or sink", () => {
    assert.throws(() => new AccessLog("%x", { write() {} }), RangeError);
    assert.throws(() => new AccessLog("common", { write() {} }, { flushBytes: -1 }), /flushBytes.*-1/);
    assert.throws(() => new AccessLog("common", { write() {} }, { flushBytes: 1.5 }), RangeError);
    assert.throws(() => new AccessLog("common", {} as unknown as { write(t: string): void }), TypeError);
  });
});

describe("escapeLogItem() and escaping in lines", () => {
  it("escapeLogItem() leaves printable ASCII as it is", () => {
    const text = "/path/with-every_thing.~!$&'()*+,;=:@[]{}|^`<>? and spaces";
    assert.equal(escapeLogItem(text), text);
  });

  it("escapeLogItem() escapes quotes, backslashes and named control characters like Apache", () => {
    assert.equal(escapeLogItem('say "hi"'), 'say \\"hi\\"');
    assert.equal(escapeLogItem("a\\b"), "a\\\\b");
    assert.equal(escapeLogItem("\r\n\t\b\v"), "\\r\\n\\t\\b\\v");
  });

  it("escapeLogItem() writes other control characters, DEL and high bytes as \\xhh", () => {
    assert.equal(escapeLogItem("\x00\x01\x1b\x1f\x7f"), "\\x00\\x01\\x1b\\x1f\\x7f");
    // UTF-8 "é" as the parser decodes it (latin1, one char per byte).
    assert.equal(escapeLogItem("caf\xc3\xa9"), "caf\\xc3\\xa9");
    assert.equal(escapeLogItem("\xff"), "\\xff");
  });

  it("escapeLogItem() writes characters above 0xff as the \\xhh of their UTF-8 bytes", () => {
    assert.equal(escapeLogItem("é"), "\\xe9"); // U+00E9 is one latin1 byte
    assert.equal(escapeLogItem("Ā"), "\\xc4\\x80"); // U+0100: two UTF-8 bytes
    assert.equal(escapeLogItem("߿"), "\\xdf\\xbf"); // U+07FF: the last two-byte one
    assert.equal(escapeLogItem("ࠀ"), "\\xe0\\xa0\\x80"); // U+0800: the first three-byte one
    assert.equal(escapeLogItem("€"), "\\xe2\\x82\\xac");
    assert.equal(escapeLogItem("😀"), "\\xf0\\x9f\\x98\\x80");
  });

  it("formatAccessRecord() cannot be made to write a second line through the target or user agent", () => {
    const forged = '127.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET /admin HTTP/1.1" 200 1 "-" "x"';
    const line = fmt("combined", {
      target: `/x?a=1\r\n${forged}`,
      userAgent: `evil"\n${forged}`,
      referer: 'http://a/"b"',
    });
    assert.ok(!line.includes("\n") && !line.includes("\r"), line);
    assert.equal(line, '192.0.2.7 - - [10/Oct/2000:13:55:36 +0000] "GET /x?a=1\\r\\n127.0.0.1 - - [10/Oct/2000:13:55:36 +0000] ' +
      '\\"GET /admin HTTP/1.1\\" 200 1 \\"-\\" \\"x\\" HTTP/1.1" 201 1234 "http://a/\\"b\\"" "evil\\"\\n127.0.0.1 - - ' +
      '[10/Oct/2000:13:55:36 +0000] \\"GET /admin HTTP/1.1\\" 200 1 \\"-\\" \\"x\\""');
    // Every quoted field still ends at an unescaped quote: the line splits into exactly its fields.
    const fields = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    assert.equal(fields.length, 3);
  });

  it("formatAccessRecord() escapes non-ASCII and quotes in the target, query, user agent, referer and host", () => {
    const changes = { target: "/caf\xc3\xa9?q=\"x\"", userAgent: "Bot\x00\x7f", referer: "\x1b[31mred", host: "h\"ost" };
    assert.equal(fmt("%U|%q|%{target}U|%{User-Agent}i|%{Referer}i|%{Host}i", changes),
      '/caf\\xc3\\xa9|?q=\\"x\\"|/caf\\xc3\\xa9?q=\\"x\\"|Bot\\x00\\x7f|\\x1b[31mred|h\\"ost');
    assert.equal(fmt("%r", changes), 'GET /caf\\xc3\\xa9?q=\\"x\\" HTTP/1.1');
  });

  it("formatAccessRecord() escapes the address and method too (they may come from forwarding headers)", () => {
    assert.equal(fmt("%h %m", { remoteAddress: "1.2.3.4\n", method: "G\"T" }), '1.2.3.4\\n G\\"T');
  });
});

/** A sink that records writes; `hold()` makes the next writes wait until `release()`. */
function fakeSink() {
  const writes: string[] = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let closed = 0;
  let fail: unknown;
  return {
    writes,
    get closed() {
      return closed;
    },
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release() {
      gate = undefined;
      open?.();
    },
    failNext(error: unknown) {
      fail = error;
    },
    sink: {
      write(text: string): void | Promise<void> {
        if (fail !== undefined) {
          const error = fail;
          fail = undefined;
          return Promise.reject(error);
        }
        if (gate === undefined) {
          writes.push(text);
          return;
        }
        return gate.then(() => void writes.push(text));
      },
      close() {
        closed++;
      },
    },
  };
}

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("AccessLog buffering", () => {
  const line = (n: number) => record({ target: `/${n}` });
  const text = (n: number) => `192.0.2.7 "GET /${n} HTTP/1.1"\n`;
  const FORMAT = '%h "%r"';

  it("AccessLog.log() buffers lines without writing until flush()", async () => {
    const fake = fakeSink();
    const log = new AccessLog(FORMAT, fake.sink);
    log.log(line(1));
    log.log(line(2));
    await turn();
    assert.deepEqual(fake.writes, []);
    assert.equal(log.bufferedBytes, text(1).length + text(2).length);
    await log.flush();
    assert.deepEqual(fake.writes, [text(1) + text(2)]);
    assert.equal(log.bufferedBytes, 0);
  });

  it("AccessLog.flush() with nothing buffered writes nothing", async () => {
    const fake = fakeSink();
    const log = new AccessLog(FORMAT, fake.sink);
    await log.flush();
    await log.flush();
    assert.deepEqual(fake.writes, []);
  });

  it("AccessLog.log() writes a batch once the buffer passes flushBytes", async () => {
    const fake = fakeSink();
    const log = new AccessLog(FORMAT, fake.sink, { flushBytes: text(1).length * 3 });
    log.log(line(1));
    log.log(line(2));
    await turn();
    assert.deepEqual(fake.writes, []);
    log.log(line(3));
    await turn();
    assert.deepEqual(fake.writes, [text(1) + text(2) + text(3)]);
    log.log(line(4));
    await turn();
    assert.equal(fake.writes.length, 1);
    await log.close();
    assert.deepEqual(fake.writes, [text(1) + text(2) + text(3), text(4)]);
  });

  it("AccessLog with flushBytes 0 writes every line", async () => {
    const fake = fakeSink();
    const log = new AccessLog(FORMAT, fake.sink, { flushBytes: 0 });
    log.log(line(1));
    log.log(line(2));
    await turn();
    assert.deepEqual(fake.writes, [text(1), text(2)]);
  });

  it("AccessLog keeps lines in order while a slow write is in progress", async () => {
    const fake = fakeSink();
    const log = new AccessLog(FORMAT, fake.sink);
    fake.hold();
    log.log(line(1));
    const first = log.flush();
    log.log(line(2));
    const second = log.flush();
    log.log(line(3));
    await turn();
    assert.deepEqual(fake.writes, [], "the first write is still pending");
    fake.release();
    await first;
    await second;
    assert.deepEqual(fake.writes, [text(1), text(2)]);
    assert.equal(log.bufferedBytes, text(3).length);
    await log.flush();
    assert.deepEqual(fake.writes, [text(1), text(2), text(3)]);
  });

  it("AccessLog.flush() with nothing buffered waits for a write in progress", async () => {
    const fake = fakeSink();
    const log = new AccessLog(FORMAT, fake.sink);
    fake.hold();
    log.log(line(1));
    void log.flush();
    let done = false;
    const empty = log.flush().then(() => (done = true));
    await turn();
    assert.equal(done, false);
    fake.release();
    await empty;
    assert.deepEqual(fake.writes, [text(1)]);
  });

  it("AccessLog.close() writes the rest, closes the sink once and ignores later lines", async () => {
    const fake = fakeSink();
    const log = new AccessLog(FORMAT, fake.sink);
    log.log(line(1));
    const closing = log.close();
    assert.equal(log.close(), closing, "close() is idempotent");
    await closing;
    log.log(line(2));
    await log.flush();
    assert.deepEqual(fake.writes, [text(1)]);
    assert.equal(fake.closed, 1);
  });

  it("AccessLog.flush() rejects with the sink's error, and later batches still go out", async () => {
    const fake = fakeSink();
    const log = new AccessLog(FORMAT, fake.sink);
    fake.failNext(new Error("disk full"));
    log.log(line(1));
    await assert.rejects(log.flush(), /disk full/);
    log.log(line(2));
    await log.flush();
    assert.deepEqual(fake.writes, [text(2)]);
  });

  it("AccessLog passes write errors to onError, and flush() then resolves", async () => {
    const fake = fakeSink();
    const errors: unknown[] = [];
    const log = new AccessLog(FORMAT, fake.sink, { flushBytes: 0, onError: (error) => errors.push(error) });
    fake.failNext(new Error("gone"));
    log.log(line(1)); // automatic flush: the error must not become an unhandled rejection
    await log.flush();
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /gone/);
    fake.failNext(new Error("again"));
    log.log(line(2));
    await log.close();
    assert.equal(errors.length, 2);
  });

  it("AccessLog.close() rejects with a write error when there is no onError", async () => {
    const fake = fakeSink();
    const log = new AccessLog(FORMAT, fake.sink);
    fake.failNext(new Error("late"));
    log.log(line(1));
    await assert.rejects(log.close(), /late/);
    assert.equal(fake.closed, 1, "the sink is closed anyway");
  });

  it("AccessLog.close() rejects with the sink's close error when there is no onError, else reports it", async () => {
    const failing = { write() {}, close: () => Promise.reject(new Error("cannot close")) };
    await assert.rejects(new AccessLog(FORMAT, failing).close(), /cannot close/);
    const errors: unknown[] = [];
    await new AccessLog(FORMAT, failing, { onError: (error) => errors.push(error) }).close();
    assert.match(String(errors[0]), /cannot close/);
    assert.equal(errors.length, 1);
  });

  it("lineSink() hands every line of a batch to the callback without its newline", async () => {
    const lines: string[] = [];
    const log = new AccessLog(FORMAT, lineSink((l) => lines.push(l)));
    log.log(line(1));
    log.log(line(2));
    await log.flush();
    assert.deepEqual(lines, [text(1).trimEnd(), text(2).trimEnd()]);
    lineSink((l) => lines.push(l)).write("no newline");
    assert.equal(lines.at(-1), "no newline");
  });
});

// ---------------------------------------------------------------- wired into the server

/** Waits until `find()` returns something (polling), or fails after `ms`. */
async function eventually<T>(find: () => T | undefined, ms: number, what: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(20);
  }
}

const CLF_LINE = /127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/hello\?x=1 HTTP\/1\.1" 200 5 "http:\/\/ref\/" "test-agent\/1\.0"$/;
const REQUEST = "GET /hello?x=1 HTTP/1.1\r\nHost: x\r\nReferer: http://ref/\r\nUser-Agent: test-agent/1.0\r\nConnection: close\r\n\r\n";
const hello = () => new Response("hello");

describe("access log wired into the server", () => {
  it("serve() with accessLog: true logs a Combined Log Format line per request to the logger", async () => {
    const s = await startServer(hello, { accessLog: true });
    try {
      const { response } = await exchange(s.port, REQUEST);
      assert.equal(response.status, 200);
      const found = await eventually(() => s.log.lines.find((l) => CLF_LINE.test(l)), 3000,
        () => `a combined line in the log:\n${s.log.lines.join("\n")}`);
      assert.ok(found);
    } finally {
      await s.close();
    }
  });

  it("serve() with accessLog: true logs the lines even when logLevel hides info messages", async () => {
    const s = await startServer(hello, { accessLog: true, logLevel: "error" });
    try {
      await exchange(s.port, REQUEST);
      await eventually(() => s.log.lines.find((l) => CLF_LINE.test(l)), 3000, () => `a line:\n${s.log.lines.join("\n")}`);
    } finally {
      await s.close();
    }
  });

  it("serve() without accessLog logs no request line", async () => {
    const s = await startServer(hello);
    try {
      await exchange(s.port, REQUEST);
    } finally {
      // close() flushes whatever the access log holds: after it, every line that would exist does.
      await s.close();
    }
    assert.equal(s.log.lines.filter((l) => l.includes("GET /hello")).length, 0, s.log.lines.join("\n"));
  });

  it("serve() with accessLog and accessLogFormat uses the custom format", async () => {
    const options = { accessLog: true, accessLogFormat: "ACCESS %m %U %q %>s %B" } as ServeOptions;
    const s = await startServer(hello, options);
    try {
      await exchange(s.port, REQUEST);
      await eventually(() => s.log.lines.find((l) => l.endsWith("ACCESS GET /hello ?x=1 200 5")), 3000,
        () => `the custom line:\n${s.log.lines.join("\n")}`);
    } finally {
      await s.close();
    }
  });

  it("serve() with accessLog set to a path appends the lines to that file, written by close()", async () => {
    const dir = await mkdtemp(join(tmpdir(), "waitress-access-"));
    const file = join(dir, "access.log");
    try {
      const s = await startServer(hello, { accessLog: file });
      try {
        await exchange(s.port, REQUEST);
        await exchange(s.port, REQUEST.replace("/hello?x=1", "/missing"));
      } finally {
        await s.close();
      }
      const lines = (await readFile(file, "utf8")).split("\n");
      assert.equal(lines.length, 3, `two lines and a final newline: ${JSON.stringify(lines)}`);
      assert.match(lines[0]!, CLF_LINE);
      assert.match(lines[1]!, /"GET \/missing HTTP\/1\.1" 200 5 /);
      assert.equal(lines[2], "");
      assert.equal(s.log.lines.filter((l) => l.includes("GET /hello")).length, 0, "not also in the log output");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("serve() with accessLog logs requests the server rejects, with the client's address", async () => {
    const s = await startServer(hello, { accessLog: true });
    try {
      const { response } = await exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n");
      assert.equal(response.status, 400);
      await eventually(() => s.log.lines.find((l) => /127\.0\.0\.1 - - \[.*\] "(?:GET \/ HTTP\/1\.1|-)" 400 \d+ "-" "-"$/.test(l)), 3000,
        () => `the 400 line:\n${s.log.lines.join("\n")}`);
    } finally {
      await s.close();
    }
  });

  it("serve() with accessLog escapes a hostile user agent on the wire", async () => {
    const s = await startServer(hello, { accessLog: true });
    try {
      await exchange(s.port, 'GET /q HTTP/1.1\r\nHost: x\r\nUser-Agent: a"b\xc3\xa9\r\nConnection: close\r\n\r\n');
      await eventually(() => s.log.lines.find((l) => l.endsWith('"GET /q HTTP/1.1" 200 5 "-" "a\\"b\\xc3\\xa9"')), 3000,
        () => `the escaped line:\n${s.log.lines.join("\n")}`);
    } finally {
      await s.close();
    }
  });
});
