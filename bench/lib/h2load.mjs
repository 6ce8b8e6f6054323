// The second load generator, h2load (Debian's nghttp2-client) in HTTP/1.1 mode (`--h1`), for
// `npm run bench -- --h2load`: the same workloads as wrk, to cross-check wrk's figures with a client
// that is built differently (nghttp2's event loop instead of wrk's).
import { spawnSync } from "node:child_process";

/** How to get h2load where it is missing. */
export const H2LOAD_INSTALL = "apt-get install -y nghttp2-client";

/** h2load's version line ("h2load nghttp2/1.52.0"), or undefined when it is not installed. */
export function h2loadVersion() {
  const r = spawnSync("h2load", ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout ?? ""}`.trim().split("\n")[0].replace(/^h2load\s+/, "");
}

/**
 * The h2load arguments for one measured run of a workload (see WORKLOADS[w].h2load): `requests` is
 * how many it makes (the harness sizes it from wrk's rate, so that the run lasts about as long as
 * wrk's); `bodyFile` holds the POST body when the workload has one. A number of requests rather
 * than a duration (`-D`): h2load 1.52 never ends a timed run once the server has closed a connection
 * (`Connection: close`, or Waitress closing after a chunked response).
 */
export function h2loadArgs(spec, { port, connections, requests, bodyFile }) {
  const args = ["--h1", "-t1", `-c${connections}`, "-n", String(Math.max(connections, Math.round(requests)))];
  if (spec.post) args.push("-d", bodyFile, "-H", "content-type: application/octet-stream");
  if (spec.args) args.push(...spec.args);
  args.push(`http://127.0.0.1:${port}/`);
  return args;
}

/**
 * What the report takes from h2load's summary: requests/s, the responses completed ("done", the
 * divisor of CPU per request), the failed requests (h2load's "failed" already counts the errored,
 * the timed-out and the 4xx/5xx ones) and the mean time per request in ms.
 */
export function parseH2load(out) {
  const rps = Number(/^finished in [\d.]+m?s, ([\d.]+) req\/s/m.exec(out)?.[1] ?? NaN);
  const req = /^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(out);
  const codes = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m.exec(out);
  const mean = /^time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\b/m.exec(out);
  const unit = { us: 1e-3, ms: 1, s: 1000 };
  return {
    rps,
    requests: req ? Number(req[3]) : NaN,
    failed: req ? Number(req[5]) : 0,
    non2xx: codes ? Number(codes[3]) + Number(codes[4]) : 0,
    mean: mean ? Number(mean[1]) * unit[mean[2]] : NaN,
  };
}
