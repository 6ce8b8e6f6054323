/**
 * The adapters' output queue (adapters/shared/write_queue.ts): one chunk per write call, several
 * small chunks gathered into a reused buffer, large runs written chunk by chunk by reference.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WriteQueue } from "../adapters/shared/write_queue.ts";

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe("WriteQueue", () => {
  it("take() returns a lone chunk by reference and several chunks as one copy", () => {
    const queue = new WriteQueue();
    const one = bytes(3, 1);
    queue.push(one);
    assert.equal(queue.take(), one);
    assert.ok(queue.empty);
    queue.push(bytes(2, 1));
    queue.push(bytes(1, 2));
    assert.deepEqual([...queue.take()], [1, 1, 2]);
    assert.equal(queue.bytes, 0);
  });

  it("takeGathered() gathers small chunks into a buffer that is reused once released", () => {
    const queue = new WriteQueue();
    queue.push(bytes(2, 7));
    queue.push(bytes(3, 8));
    const first = queue.takeGathered();
    assert.deepEqual([...first], [7, 7, 8, 8, 8]);
    assert.ok(queue.empty);
    queue.release();
    queue.push(bytes(1, 9));
    queue.push(bytes(1, 9));
    const second = queue.takeGathered();
    assert.equal(second.buffer, first.buffer, "the released buffer is used again");
    assert.deepEqual([...second], [9, 9]);
    // Not released: the next gather must not write into the buffer the socket may still hold.
    queue.push(bytes(1, 4));
    queue.push(bytes(1, 5));
    const third = queue.takeGathered();
    assert.notEqual(third.buffer, second.buffer);
    assert.deepEqual([...second], [9, 9]);
    assert.deepEqual([...third], [4, 5]);
  });

  it("past 64 KiB in all, takeGathered() hands out the oldest chunk alone, by reference, in order", () => {
    const queue = new WriteQueue();
    const head = bytes(100, 1);
    const body = bytes(64 * 1024, 2);
    queue.push(head);
    queue.push(body);
    assert.equal(queue.takeGathered(), head);
    assert.equal(queue.bytes, body.length);
    assert.equal(queue.takeGathered(), body);
    assert.ok(queue.empty);
    assert.equal(queue.bytes, 0);
  });
});
