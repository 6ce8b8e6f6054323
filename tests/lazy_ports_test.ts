/**
 * The ports an adapter loads on first use (adapters/shared/lazy_ports.ts): the file port loads once
 * and then calls straight through; `spawnWorker` stays synchronous, queueing what is posted until
 * its module is there, dropping a thread terminated before that, and reporting a failure to start
 * as the thread's exit.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { lazyFiles, lazySpawn, type SpawnWorker } from "../adapters/shared/lazy_ports.ts";
import type { Files, ThreadEvents } from "../src/platform.ts";
import type { WorkerInit } from "../src/threads/thread_protocol.ts";

const init: WorkerInit = { moduleUrl: "file:///app.js", exportName: "default", nativeResponse: false };
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A spawnWorker that records what it was asked to do. */
function recordingSpawn(fail?: Error) {
  const calls: string[] = [];
  const spawn: SpawnWorker = (given, events) => {
    if (fail !== undefined) throw fail;
    calls.push(`spawn ${given.moduleUrl}`);
    events.message("started");
    return { post: (message) => void calls.push(`post ${String(message)}`), terminate: () => void calls.push("terminate") };
  };
  return { calls, spawn };
}

function recordingEvents() {
  const heard: string[] = [];
  const events: ThreadEvents = { message: (data) => void heard.push(`message ${String(data)}`), exit: (reason) => void heard.push(`exit ${reason}`) };
  return { heard, events };
}

describe("lazySpawn", () => {
  it("queues posts until the module is loaded, then spawns at once", async () => {
    const { calls, spawn } = recordingSpawn();
    let loads = 0;
    const lazy = lazySpawn(async () => (loads++, spawn));
    const { heard, events } = recordingEvents();
    const thread = lazy(init, events);
    thread.post("a");
    thread.post("b");
    assert.deepEqual(calls, []);
    await tick();
    assert.deepEqual(calls, ["spawn file:///app.js", "post a", "post b"]);
    assert.deepEqual(heard, ["message started"]);
    thread.terminate();
    // Loaded: the next thread starts synchronously.
    lazy(init, recordingEvents().events);
    assert.deepEqual(calls.slice(-2), ["terminate", "spawn file:///app.js"]);
    assert.equal(loads, 1);
  });

  it("never starts a thread terminated before its module loaded", async () => {
    const { calls, spawn } = recordingSpawn();
    const { heard, events } = recordingEvents();
    const thread = lazySpawn(async () => spawn)(init, events);
    assert.equal(thread.terminate(), undefined);
    await tick();
    assert.deepEqual(calls, []);
    assert.deepEqual(heard, []);
  });

  it("reports a thread that cannot start, or a module that cannot load, as the thread's exit", async () => {
    const { spawn } = recordingSpawn(new Error("EAGAIN"));
    const first = recordingEvents();
    lazySpawn(async () => spawn)(init, first.events);
    const second = recordingEvents();
    lazySpawn(() => Promise.reject(new Error("no module")))(init, second.events);
    await tick();
    assert.deepEqual(first.heard, ["exit cannot start a worker thread: EAGAIN"]);
    assert.deepEqual(second.heard, ["exit cannot start a worker thread: no module"]);
  });
});

describe("lazyFiles", () => {
  it("loads the port at the first call, once, and passes every call through", async () => {
    let loads = 0;
    const calls: string[] = [];
    const real: Files = {
      realPath: async (path) => (calls.push(`realPath ${path}`), path),
      kind: async (path) => (calls.push(`kind ${path}`), "file"),
      open: async (path) => {
        calls.push(`open ${path}`);
        throw new Error("not here");
      },
      createTempFile: async () => {
        calls.push("createTempFile");
        throw new Error("no temp");
      },
      openAppend: async (path) => (calls.push(`openAppend ${path}`), { write() {} }),
    };
    const files = lazyFiles(async () => (loads++, real));
    assert.equal(loads, 0);
    assert.deepEqual(await Promise.all([files.realPath("/a"), files.kind("/b")]), ["/a", "file"]);
    await assert.rejects(files.open("/c"), /not here/);
    await assert.rejects(files.createTempFile(), /no temp/);
    assert.equal(typeof (await files.openAppend("/d")).write, "function");
    assert.deepEqual(calls, ["realPath /a", "kind /b", "open /c", "createTempFile", "openAppend /d"]);
    assert.equal(loads, 1);
  });
});
