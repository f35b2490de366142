import path from "node:path";
import { parseArgs } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { parseServedWorker, type ServedWorker } from "./serve-args.ts";

/**
 * Serves Workers on workerd the way the edge receives them: the bundle `wrangler deploy` would upload (made by
 * worker-bundle.ts), its bindings, assets, crons and Durable Objects from its wrangler.toml, and nothing in front.
 * `wrangler dev` puts its own proxy Worker (a second workerd process) ahead of the Worker, which doubles every
 * request's and every WebSocket message's hops and negotiates permessage-deflate itself, so a Worker's own
 * choice about compression could not be seen locally. Several Workers share one runtime, so one can bind
 * another's Durable Objects (`script_name`). The first Worker's crons are triggered on the trigger port with
 * GET /cdn-cgi/local/scheduled?cron=.
 *
 * Usage: serve.ts --worker '{"config":…,"script":…,"port":8787}' [--worker …] --host 127.0.0.1 --trigger-port 8788
 *   --persist-to <dir>
 */
const { values } = parseArgs({
  options: {
    worker: { type: "string", multiple: true },
    host: { type: "string" },
    "trigger-port": { type: "string" },
    "persist-to": { type: "string" },
    quiet: { type: "boolean", default: false },
  },
});
const { host } = values;
const triggerPort = values["trigger-port"];
const persistTo = values["persist-to"];
const workers = (values.worker ?? []).map(parseServedWorker);
if (!workers.length || !host || !triggerPort || !persistTo)
  throw new Error("serve.ts needs --worker (at least one), --host, --trigger-port and --persist-to");

function workerOptions(served: ServedWorker) {
  // .dev.vars beside the config become the Worker's secrets, as under wrangler dev.
  // Module rules only matter to an unbundled script: the bundle is one module.
  const config = unstable_readConfig({ config: path.resolve(served.config) });
  const { modulesRules: _unbundledOnly, ...options } = unstable_getMiniflareWorkerOptions(config).workerOptions;
  return {
    ...options,
    // Another Worker of this runtime binds its Durable Objects by this name (`script_name`).
    name: config.name,
    modules: true,
    modulesRoot: path.dirname(path.resolve(served.script)),
    scriptPath: path.resolve(served.script),
    // Clients reach the Worker's own socket, as at the edge; Miniflare's entry Worker (which would otherwise sit in
    // front and negotiate WebSocket compression itself) serves only the trigger routes, on their own port.
    unsafeDirectSockets: [{ host, port: served.port }],
  };
}

// wrangler hands its worker options over in Miniflare 4's shape; Miniflare 5 converts them.
const miniflare = new Miniflare(
  convertV4MiniflareOptions({
    workers: workers.map(workerOptions),
    host,
    port: Number(triggerPort),
    // The same layout wrangler dev uses under --persist-to, so local data survives the switch either way.
    resourcePersistencePath: path.join(path.resolve(persistTo), "v3"),
    // No request.cf download: the network is closed.
    cf: false,
    unsafeTriggerHandlers: true,
    // Production logs no line per request from inside the runtime; each one here costs a round trip to Node.
    logRequests: false,
    log: new Log(values.quiet ? LogLevel.WARN : LogLevel.INFO),
  }),
);

const entryUrl = await miniflare.ready;
console.log(`triggers on ${entryUrl.href}`);
for (const served of workers) console.log(`worker ${path.basename(served.config)} ready on http://${host}:${served.port}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await miniflare.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
