/**
 * src/policy/logger.ts: level filtering, the name prefix, and how an error detail is written.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Logger, type LogLevel, type LogSink } from "../src/policy/logger.ts";

/** A sink recording "method: line" for every call. */
function recording(): { sink: LogSink; lines: string[] } {
  const lines: string[] = [];
  const put = (method: string) => (...args: unknown[]) => void lines.push(`${method}: ${args.map(String).join(" ")}`);
  return { lines, sink: { debug: put("debug"), info: put("info"), warn: put("warn"), error: put("error") } };
}

describe("Logger", () => {
  it("Logger writes each level to its sink method, prefixed with the name, at or above its level", () => {
    const expected: Record<LogLevel, string[]> = {
      debug: ["debug: w DEBUG: d", "info: w INFO: i", "warn: w WARNING: x", "error: w ERROR: e"],
      info: ["info: w INFO: i", "warn: w WARNING: x", "error: w ERROR: e"],
      warning: ["warn: w WARNING: x", "error: w ERROR: e"],
      error: ["error: w ERROR: e"],
    };
    for (const [level, lines] of Object.entries(expected) as [LogLevel, string[]][]) {
      const { sink, lines: got } = recording();
      const log = new Logger(level, sink, "w");
      log.debug("d");
      log.info("i");
      log.warning("x");
      log.error("e");
      assert.deepEqual(got, lines, level);
      assert.deepEqual((["debug", "info", "warning", "error"] as LogLevel[]).map((l) => log.enabled(l)),
        ["debug", "info", "warning", "error"].map((l) => lines.some((line) => line.includes(` ${l.toUpperCase()}:`))), level);
    }
  });

  it("Logger defaults to warning, the console and the name waitress", () => {
    const log = new Logger();
    assert.equal(log.name, "waitress");
    assert.equal(log.enabled("info"), false);
    assert.equal(log.enabled("warning"), true);
  });

  it("Logger.error() appends the error's stack, its message when it has no stack, or the value", () => {
    const { sink, lines } = recording();
    const log = new Logger("error", sink);
    const withStack = new Error("boom");
    log.error("a", withStack);
    const noStack = new Error("no stack here");
    Object.defineProperty(noStack, "stack", { value: undefined });
    log.error("b", noStack);
    log.error("c", "a string");
    log.error("d", 42);
    log.error("e", null);
    log.error("f");
    assert.deepEqual(lines, [
      `error: waitress ERROR: a\n${withStack.stack}`,
      "error: waitress ERROR: b\nno stack here",
      "error: waitress ERROR: c\na string",
      "error: waitress ERROR: d\n42",
      "error: waitress ERROR: e\nnull",
      "error: waitress ERROR: f",
    ]);
    assert.match(lines[0]!, /boom/);
  });
});
