/**
 * Closing a connection: after its last response the server half-closes, keeps reading (and
 * discarding) so the client gets the response instead of a reset, and drops the connection once the
 * client closes its side, or after the linger time (2 s) if it never does. The client is a Node
 * child process on every runtime: Deno's and Bun's node:net clients cannot write after the peer's FIN.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServer, type TestServer } from "./_helpers.ts";
import { spawnChild, within } from "./_child.ts";
import { repoRoot } from "./_root.ts";

interface Seen {
  received: string;
  endedAt: number;
  destroyedWhileLingering: boolean | null;
  closedAt: number;
  error: string | null;
  errorAt: number;
}

async function halfOpenClient(port: number, mode: "linger" | "discard" | "flood"): Promise<Seen> {
  const root = repoRoot();
  const child = spawnChild("node", [join(root, "tests", "fixtures", "half_open_client.mjs"), String(port), mode], { cwd: root });
  await within(child.exit, 10_000, () => `half_open_client.mjs did not finish: ${child.output()}`);
  const line = child.output().trim().split("\n").pop()!;
  return JSON.parse(line) as Seen;
}

describe("closing connections (linger)", () => {
  let s: TestServer;
  before(async () => (s = await startServer(() => new Response("bye"))));
  after(() => s.close());

  it("sends the response and a FIN, keeps reading, and drops a client that never closes after the linger time", async () => {
    const seen = await halfOpenClient(s.port, "linger");
    assert.match(seen.received, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nbye$/);
    assert.ok(seen.endedAt >= 0 && seen.endedAt < 1000, `FIN after ${seen.endedAt} ms`);
    assert.equal(seen.destroyedWhileLingering, false, "writing while the server lingers is harmless");
    assert.ok(seen.error === "ECONNRESET" || seen.error === "EPIPE", `a reset once the linger time is over (got ${seen.error})`);
    assert.ok(seen.errorAt >= 2000, `the reset came ${seen.errorAt} ms after connecting, before the linger time (2 s) was over`);
    assert.ok(seen.closedAt >= 2000 && seen.closedAt < 5000, `closed at ${seen.closedAt} ms (linger is 2 s)`);
    assert.equal(s.server.connectionCount, 0);
  });

  it("reads and discards what the client sends after the last response, and closes as soon as the client does", async () => {
    const seen = await halfOpenClient(s.port, "discard");
    assert.match(seen.received, /\r\n\r\nbye$/);
    assert.equal(seen.error, null, "no reset");
    assert.ok(seen.closedAt >= 0 && seen.closedAt - seen.endedAt < 1000, `closed at ${seen.closedAt} ms, FIN at ${seen.endedAt} ms`);
  });

  it("keeps reading bytes that were already on their way when it closed (8 MiB behind the request), so the client gets the response and no reset", async () => {
    for (let round = 0; round < 3; round++) {
      const seen = await halfOpenClient(s.port, "flood");
      assert.match(seen.received, /\r\n\r\nbye$/, `round ${round}`);
      assert.equal(seen.error, null, `round ${round}: no reset (at ${seen.errorAt} ms)`);
    }
  });
});
