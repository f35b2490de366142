import { HttpRecorderPool } from "../../media-fleet/recorder-client/http-recorder.ts";
import type { Recorder } from "../../media-fleet/recording/recorder.ts";
import { parseRecorderPool } from "../../media-fleet/recording/recorder-pool.ts";
import type { Config } from "../env.ts";

/**
 * The track recorder pool from the configuration: RECORDER_URLS and the secret that signs their control tokens.
 * None when either is missing (a recording then fails at once and says why); a malformed list is refused.
 */
export function recorderOf(config: Config): Recorder | null {
  if (!config.RECORDER_URLS || !config.RECORDER_CONTROL_SECRET) return null;
  const pool = parseRecorderPool(config.RECORDER_URLS);
  if (!pool.ok) throw new Error(`RECORDER_URLS: ${pool.issues.join("; ")}`);
  return new HttpRecorderPool({ pool: pool.members, controlSecret: config.RECORDER_CONTROL_SECRET });
}
