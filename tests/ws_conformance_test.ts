/**
 * The WebSocket conformance table (issue 18; tests/ws_conformance/cases.ts) against our server, in-process on
 * the runtime running the tests: every case OK (or a NON-STRICT documented below), and per case no worse than
 * the reference server of the same runtime (Deno: Deno.upgradeWebSocket; Bun: Bun.serve; Node: `ws` on
 * node:http), which runs as a child. `node tools/ws_conformance.mjs` prints the whole table for every server.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import process from "node:process";
import { outputMatch, spawnChild, stopChild, within, type Child } from "./_child.ts";
import { runtime, startServer, type TestServer } from "./_helpers.ts";
import { repoRoot } from "./_root.ts";
import { CASES, SECTIONS, WS_LIMIT } from "./ws_conformance/cases.ts";
import { runCase, runCases, VERDICT_RANK, type CaseResult } from "./ws_conformance/client.ts";
import { startStub, type StubBehaviour } from "./ws_conformance/stub_server.ts";
import echoApp from "./fixtures/ws_echo_app.ts";

/** Cases where NON-STRICT is our accepted verdict, with the reason. */
const OURS_NON_STRICT: Readonly<Record<string, string>> = {};

const TIMEOUT_MS = 1500;
const CONCURRENCY = 4;

/** The reference echo server of this runtime, as a child: [title, command, argv, limit]. */
function reference(): [string, string, string[], number | null] {
  const fixtures = join(repoRoot(), "tests", "fixtures");
  if (runtime === "deno") {
    const deno = (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath();
    return ["Deno.upgradeWebSocket", deno, ["run", "-A", "--quiet", join(fixtures, "ws_ref_deno.ts"), "0"], null];
  }
  if (runtime === "bun") return ["Bun.serve", process.execPath, [join(fixtures, "ws_ref_bun.ts"), "0", String(WS_LIMIT)], WS_LIMIT];
  return ["ws", process.execPath, [join(fixtures, "ws_ref_ws.mjs"), "0", String(WS_LIMIT)], WS_LIMIT];
}

const show = (r: CaseResult) => `${r.id} ${r.verdict} ${r.ending}${r.detail ? ` (${r.detail})` : ""}`;

describe("the WebSocket conformance table is well-formed", () => {
  it("ids are unique, every case has a known section, steps and at least one outcome", () => {
    const ids = CASES.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, "duplicate case ids");
    for (const c of CASES) {
      assert.ok(SECTIONS[c.section], `${c.id}: section ${c.section}`);
      assert.ok(c.id.startsWith(`${c.section}.`), `${c.id}: id outside its section`);
      assert.ok(c.steps.length > 0 && c.expect.length > 0, `${c.id}: steps and outcomes`);
      assert.ok(c.expect.some((o) => !o.onlyWithoutLimit), `${c.id}: an outcome for servers with a limit`);
    }
    for (const id of Object.keys(OURS_NON_STRICT)) assert.ok(ids.includes(id), `OURS_NON_STRICT names unknown case ${id}`);
  });
});

describe("the conformance client grades what it sees (servers that misbehave on purpose)", () => {
  const echoCase = CASES.find((c) => c.id === "1.1.2")!;
  const failCase = CASES.find((c) => c.id === "2.5")!;
  const failFastCase = CASES.find((c) => c.id === "6.7.2")!;
  const closeCase = CASES.find((c) => c.id === "7.1.2")!;
  const grade = async (behaviour: StubBehaviour) => {
    const stub = await startStub(behaviour);
    try {
      const results = await Promise.all([echoCase, failCase, failFastCase, closeCase].map((c) => runCase({ port: stub.port, limit: null }, c, 300)));
      return results.map((r) => `${r.id} ${r.verdict} ${r.ending}`);
    } finally {
      await stub.close();
    }
  };
  it("a server that says nothing after the handshake: every case FAILED", async () => {
    assert.deepEqual(await grade("silent"), ["1.1.2 FAILED open", "2.5 FAILED open", "6.7.2 FAILED open", "7.1.2 FAILED open"]);
  });
  it("a server that drops TCP after the handshake: NON-STRICT where a failure was due, FAILED where an echo was", async () => {
    // 7.1.2's close reply is missing but TCP closed: NON-STRICT, as a fail without a close frame is.
    assert.deepEqual(await grade("drop"), ["1.1.2 FAILED drop", "2.5 NON-STRICT drop", "6.7.2 NON-STRICT drop", "7.1.2 NON-STRICT drop"]);
  });
  it("a wrong Sec-WebSocket-Accept fails the handshake", async () => {
    const stub = await startStub("bad-accept");
    try {
      const r = await runCase({ port: stub.port, limit: null }, echoCase, 300);
      assert.equal(r.verdict, "FAILED");
      assert.match(r.detail, /Sec-WebSocket-Accept/);
    } finally {
      await stub.close();
    }
  });
});

describe(`the WebSocket conformance table on ${runtime}`, () => {
  const [title, command, argv, refLimit] = reference();
  let refChild: Child | undefined;
  let refResults: CaseResult[] | undefined;
  let ours: TestServer | undefined;
  let oursResults: CaseResult[] | undefined;

  before(async () => {
    refChild = spawnChild(command, argv, { cwd: repoRoot() });
    const m = await within(outputMatch(refChild, /listening (\d+)/), 15000, () => `waiting for ${title}: ${refChild!.output()}`);
    if (!m) throw new Error(`${title} exited before listening:\n${refChild.output()}`);
    refResults = await runCases({ port: Number(m[1]), limit: refLimit }, CASES, { concurrency: CONCURRENCY, timeoutMs: TIMEOUT_MS });
    ours = await startServer(echoApp, { wsMaxMessageSize: WS_LIMIT });
    oursResults = await runCases({ port: ours.port, limit: WS_LIMIT }, CASES, { concurrency: CONCURRENCY, timeoutMs: TIMEOUT_MS });
  }, { timeout: 25_000 });

  after(async () => {
    if (refChild) await stopChild(refChild);
    await ours?.close();
  });

  it(`the client grades the reference server (${title}) without a FAILED in the sections it is known to pass (1, 2, 9)`, () => {
    // A sanity check of the harness itself: every reference server passes framing, pings and limits.
    const failed = refResults!.filter((r, i) => [1, 2, 9].includes(CASES[i]!.section) && r.verdict === "FAILED");
    assert.deepEqual(failed.map(show), []);
  });

  it("ours: every case OK, or NON-STRICT where documented", () => {
    const bad = oursResults!.filter((r) => !(r.verdict === "OK" || (r.verdict === "NON-STRICT" && r.id in OURS_NON_STRICT)));
    assert.deepEqual(bad.map(show), []);
  });

  it(`ours: per case, a verdict equal to or better than ${title}'s`, () => {
    const worse = oursResults!.filter((r, i) => VERDICT_RANK[r.verdict] < VERDICT_RANK[refResults![i]!.verdict]);
    assert.deepEqual(worse.map((r) => `${show(r)} < ${title} ${show(refResults![oursResults!.indexOf(r)]!)}`), []);
  });
});
