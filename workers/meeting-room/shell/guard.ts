import { describeError, logEvent } from "../../observability/log.ts";

/**
 * Runs one of the room's entry points (a runtime hook, a background effect) so that nothing it throws leaves
 * the Durable Object: the error is logged once as a typed event naming `where`, then `recover` answers
 * instead (an error frame, a JSON refusal, nothing). A failing `recover` is logged too and swallowed.
 */
export async function guard<T>(where: string, work: () => Promise<T>, recover: (error: unknown) => T | Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    logEvent("meeting_room_error", { where, error: describeError(error) });
    try {
      return await recover(error);
    } catch (again) {
      logEvent("meeting_room_error", { where: `${where}_recovery`, error: describeError(again) });
      return undefined;
    }
  }
}

export const ignore = (): void => {};
