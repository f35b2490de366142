import type { LocalSecrets } from "../lib/local-config.ts";

/** One part of the local stack. `up` is idempotent and resolves once the service answers. */
export interface LocalService {
  name: string;
  /** Starts (or finds running) the service; returns a one-line description such as its URL. */
  up(secrets: LocalSecrets): Promise<string>;
  /** Stops what `up` started; a no-op when nothing runs. */
  down(): Promise<void>;
}
