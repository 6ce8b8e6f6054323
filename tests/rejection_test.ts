/**
 * Every rejection rule of the parser table, over a real socket: the raw bytes go to a running
 * server, which must answer with the expected status and close the connection. Complete requests
 * before the bad one are answered first, in order.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CASES, type ExpectError, type ExpectEvent } from "./parser_cases.ts";
import { RawClient, startServer, type TestServer } from "./_helpers.ts";
import { echo } from "./fixtures/apps.ts";

function expectedError(expect: ExpectEvent[] | ExpectError): ExpectError | undefined {
  if (!Array.isArray(expect)) return expect;
  const last = expect[expect.length - 1];
  return typeof last === "object" && "error" in last ? last : undefined;
}

/** Complete requests (an "end" event) before the error: each gets its own response first. */
function answeredBefore(expect: ExpectEvent[] | ExpectError): number | undefined {
  if (!Array.isArray(expect)) return undefined; // unchecked prefix
  return expect.filter((e) => e === "end" || (typeof e === "object" && "end" in e)).length;
}

describe("rejections on the wire", () => {
  const servers = new Map<string, Promise<TestServer>>();
  const serverFor = (limits: Record<string, number> | undefined) => {
    const key = JSON.stringify(limits ?? {});
    if (!servers.has(key)) servers.set(key, startServer(echo, limits ?? {}));
    return servers.get(key)!;
  };
  after(async () => {
    for (const s of servers.values()) await (await s).close();
  });

  const cases = CASES.filter((c) => expectedError(c.expect) !== undefined);
  it("has rejection cases to check", () => assert.ok(cases.length >= 40, `only ${cases.length} cases`));

  for (const c of cases) {
    const error = expectedError(c.expect)!;
    it(`${c.name}: ${error.error} and close`, async () => {
      const s = await serverFor(c.limits as Record<string, number> | undefined);
      const client = new RawClient(s.port);
      try {
        await client.send(c.input);
        const before = answeredBefore(c.expect);
        let response = await client.response();
        let answered = 0;
        while (response.status !== error.error && response.status < 300 && answered < 50) {
          answered++;
          response = await client.response();
        }
        assert.equal(response.status, error.error, `status for ${JSON.stringify(c.name)}: ${response.text.slice(0, 200)}`);
        if (before !== undefined) assert.equal(answered, before, "complete requests before the bad one are answered");
        if (error.detail) assert.ok(response.text.includes(error.detail), `detail ${JSON.stringify(error.detail)} in ${JSON.stringify(response.text)}`);
        assert.equal(response.header("connection"), "close");
        assert.equal(await client.closed(2000), true, "the connection is closed after the error");
      } finally {
        client.destroy();
      }
    });
  }
});
