/**
 * Loopback ports for tests that start other programs (nginx, CLI children): a free port to hand
 * out, and a wait until something accepts connections on one.
 *
 * @module
 */
import * as net from "node:net";

/** A free loopback port (closed again; the caller's program binds it a moment later). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * Resolves once something accepts connections on 127.0.0.1:`port`, polling every 50 ms; rejects
 * after `ms`, or at once with what `failed()` returns when it returns something (a child that exited).
 */
export async function waitForPort(port: number, ms: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const early = failed();
    if (early !== undefined) throw new Error(early);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: "127.0.0.1" });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on 127.0.0.1:${port} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
