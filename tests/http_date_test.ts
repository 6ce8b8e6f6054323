/**
 * The Date header: formatted per RFC 9110 §5.6.7, cached per second, and never stale on the wire.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatHttpDate, httpDate } from "../src/http1/http_date.ts";
import { RawClient, startServer, until } from "./_helpers.ts";

describe("httpDate", () => {
  it("formats an IMF-fixdate", () => {
    assert.equal(formatHttpDate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert.equal(formatHttpDate(Date.UTC(2026, 11, 6, 9, 5, 3)), "Sun, 06 Dec 2026 09:05:03 GMT");
  });

  it("follows the clock it is given, second by second, through its cache", () => {
    const base = Date.UTC(2026, 0, 1, 23, 59, 58, 200);
    assert.equal(httpDate(base), "Thu, 01 Jan 2026 23:59:58 GMT");
    assert.equal(httpDate(base + 700), "Thu, 01 Jan 2026 23:59:58 GMT", "same second, same value");
    assert.equal(httpDate(base + 800), "Thu, 01 Jan 2026 23:59:59 GMT", "the next second");
    assert.equal(httpDate(base + 1800), "Fri, 02 Jan 2026 00:00:00 GMT", "and the next day");
    assert.equal(httpDate(base), "Thu, 01 Jan 2026 23:59:58 GMT", "a clock that steps back is followed too");
  });
});

describe("the Date header on the wire", () => {
  it("is the server clock's current second and advances between responses", async () => {
    const s = await startServer(() => new Response("x"));
    const client = new RawClient(s.port);
    try {
      const dates: number[] = [];
      for (let i = 0; i < 2; i++) {
        if (i > 0) {
          // Wait for the next wall-clock second (a condition, not a guess about scheduling).
          const next = (Math.floor(dates[0] / 1000) + 1) * 1000;
          await until(() => Date.now() >= next, "the next second", 3000);
        }
        const before = Math.floor(Date.now() / 1000) * 1000;
        await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const response = await client.response();
        const after = Date.now();
        const date = Date.parse(response.header("date") ?? "");
        assert.ok(date >= before && date <= after, `Date ${response.header("date")} is between ${new Date(before).toUTCString()} and ${new Date(after).toUTCString()}`);
        dates.push(date);
      }
      assert.ok(dates[1] > dates[0], `the second response's Date (${new Date(dates[1]).toUTCString()}) is later than the first's`);
      // An error response written by the server itself carries a current Date too.
      await client.send("GET / HTTP/1.1\r\n\r\n");
      const error = await client.response();
      assert.equal(error.status, 400);
      const date = Date.parse(error.header("date") ?? "");
      assert.ok(date >= dates[1], "the error response's Date is current");
    } finally {
      client.destroy();
      await s.close();
    }
  });
});
