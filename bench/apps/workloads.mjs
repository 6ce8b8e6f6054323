// The bench workloads, shared by every server script in this folder: the Fetch handler of each
// workload (served by ours on all three runtimes and by Deno.serve / Bun.serve) and the
// command-line parsing. The node:http reference (node_http.mjs) mirrors these byte for byte.

/** Workload names, in the order the harness runs them. */
export const WORKLOADS = ["hello", "pipelined", "close", "echo", "stream-echo", "big"];

/** The hello-world body: 11 bytes. */
export const HELLO = "Hello World";

/** Size of the `big` response body (GET 1 MiB). */
export const BIG_SIZE = 1024 * 1024;

/** The `big` body, allocated once: the handler measures serving it, not building it. */
export const BIG = new Uint8Array(BIG_SIZE).fill(0x78);

const OCTETS = { "content-type": "application/octet-stream" };

/**
 * The Fetch handler of a workload. `new Response(string)` gets `content-type: text/plain;charset=UTF-8`
 * from the Fetch spec on every runtime, so the node:http reference sets the same header.
 */
export function fetchHandler(workload) {
  switch (workload) {
    case "hello":
    case "pipelined":
    case "close":
      return () => new Response(HELLO);
    case "echo":
      // wrk cuts connections mid-body when a run ends: answer 400 quietly instead of logging.
      return (request) => request.arrayBuffer().then(
        (body) => new Response(body, { headers: OCTETS }),
        () => new Response(null, { status: 400 }),
      );
    case "stream-echo":
      // The body as a stream, piped chunk by chunk into a streamed (chunked) response.
      return (request) => {
        const { readable, writable } = new TransformStream();
        pipe(request.body, writable.getWriter());
        return new Response(readable, { headers: OCTETS });
      };
    case "big":
      return () => new Response(BIG, { headers: OCTETS });
    default:
      throw new RangeError(`Unknown workload ${JSON.stringify(workload)}: use one of ${WORKLOADS.join(", ")}`);
  }
}

/**
 * Writes each chunk of `body` (read with `for await`) to `writer`, waiting for each write (the
 * response's backpressure), then closes it. A body cut short (wrk stops mid-request when a run ends)
 * aborts the response instead of logging.
 */
async function pipe(body, writer) {
  try {
    if (body) for await (const chunk of body) await writer.write(chunk);
    await writer.close();
  } catch (error) {
    writer.abort(error).catch(() => {});
  }
}

/**
 * Reads `--port N` and `--workload NAME` (or `--port=N`) from argv, falling back to the PORT and
 * WORKLOAD environment variables, then to port 0 (any free port) and the hello workload.
 */
export function parseArgs(argv, env = {}) {
  const get = (name) => {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === `--${name}`) return argv[i + 1];
      if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
    }
    return env[name.toUpperCase()];
  };
  const port = Number(get("port") ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Bad port ${JSON.stringify(get("port"))}: give an integer from 0 to 65535`);
  }
  const workload = get("workload") ?? "hello";
  if (!WORKLOADS.includes(workload)) {
    throw new RangeError(`Unknown workload ${JSON.stringify(workload)}: use one of ${WORKLOADS.join(", ")}`);
  }
  return { port, workload };
}
