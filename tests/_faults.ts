/**
 * Helpers for the fault-injection tests: resets, descriptor counts, and "the server is back where it
 * was" (no connection left, a normal request answered, descriptors and temp files released).
 *
 * @module
 */
import assert from "node:assert/strict";
import { readdirSync, readlinkSync } from "node:fs";
import type * as net from "node:net";
import { exchange, RawClient, until, type TestServer } from "./_helpers.ts";

/**
 * Drops a connection with a reset (SO_LINGER 0), as a client that vanishes does. `resetAndDestroy()`
 * exists on the node:net of Node, Deno and Bun.
 */
export function reset(client: RawClient): void {
  (client.socket as net.Socket & { resetAndDestroy(): void }).resetAndDestroy();
}

/** Closes a connection with a FIN (nothing unread: no reset), as a client that gives up politely does. */
export function fin(client: RawClient): void {
  client.socket.destroy();
}

/** How a client goes away. */
export type Leave = "fin" | "reset";

/** Goes away as `how` says. */
export function leave(client: RawClient, how: Leave): void {
  if (how === "reset") reset(client);
  else fin(client);
}

const linux = (() => {
  try {
    readdirSync("/proc/self/fd");
    return true;
  } catch {
    return false;
  }
})();

/** This process's open descriptors (Linux), or undefined where /proc is missing. */
export function openFds(): number | undefined {
  return linux ? readdirSync("/proc/self/fd").length : undefined;
}

/** Open descriptors of spool temp files (unlinked at once, so they show only as descriptors). */
export function spoolFds(): number {
  if (!linux) return 0;
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).includes("waitress-spool")) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

/** What {@link recovered} compares against: descriptors before the fault. */
export interface Baseline {
  fds: number | undefined;
  spool: number;
}

/** Descriptors now, to compare with after a fault. */
export function baseline(): Baseline {
  return { fds: openFds(), spool: spoolFds() };
}

/**
 * After a fault: the server's connection count returns to 0, it answers a normal request on a new
 * connection (`probe`: the target and the text it answers), and this process's descriptors and spool temp files return to the baseline (they close
 * asynchronously, so every step waits with a deadline).
 */
export async function recovered(s: TestServer, before: Baseline, what: string, probe = { target: "/ok", text: "ok" }): Promise<void> {
  await until(() => s.server.stats().connections === 0, `${what}: the server's connections back to 0 (now ${s.server.stats().connections})`, 8000);
  const { response } = await exchange(s.port, `GET ${probe.target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  assert.equal(response.status, 200, `${what}: a normal request afterwards`);
  assert.equal(response.text, probe.text, what);
  await until(() => s.server.stats().connections === 0, `${what}: the normal request's connection closed`, 8000);
  if (before.fds !== undefined) {
    await until(() => openFds()! <= before.fds!, `${what}: open descriptors back to ${before.fds} (now ${openFds()})`, 8000);
  }
  await until(() => spoolFds() <= before.spool, `${what}: spool temp files closed (open: ${spoolFds()})`, 8000);
}

/** A gate an app waits on: `wait()` resolves once `open()` is called (or at once, if it already was). */
export class Gate {
  #open = false;
  #waiters: (() => void)[] = [];
  /** How many callers are waiting now. */
  get waiting(): number {
    return this.#waiters.length;
  }
  /** Resolves once the gate opens. */
  wait(): Promise<void> {
    if (this.#open) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  /** Lets every waiter (and later ones) through. */
  open(): void {
    this.#open = true;
    for (const w of this.#waiters.splice(0)) w();
  }
  /** Closes the gate again for the next case. */
  reset(): void {
    this.open();
    this.#open = false;
  }
}

/** A raw client that has connected (and sent `data`, when given). */
export async function connected(port: number, data?: string | Uint8Array): Promise<RawClient> {
  const client = new RawClient(port);
  await client.send(data ?? new Uint8Array(0));
  return client;
}
