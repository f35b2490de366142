import type { z } from "zod";
import {
  CaptureStatusBody,
  RecorderHealth,
  RecorderProblem,
  recorderRoutes,
  StartCaptureRequest,
  StopCaptureBody,
  type RecorderProblemCode,
} from "../../protocol/recorder-control.ts";
import { MediaFleetError, type MediaFleetErrorCode } from "../errors.ts";
import type { CaptureStatus, Exclusion, Recorder, StartCapture } from "../recording/recorder.ts";
import { defaultRecorderPlacementPolicy, selectRecorder, type RecorderLoad, type RecorderMember } from "../recording/recorder-pool.ts";
import { mintControlToken } from "./control-token.ts";

/**
 * `Recorder` over our Go track recorders' control API (media-fleet/recorder/): a pool of processes, placed by
 * recorder-pool.ts. The transport (`fetch`) and the clock are passed in. Every failure is a MediaFleetError:
 * the recorder's problem code mapped to ours, an unreachable recorder `node_unreachable`.
 */

export interface HttpRecorderOptions {
  pool: readonly RecorderMember[];
  /** RECORDER_CONTROL_SECRET: signs each call's short-lived token; never sent, never logged. */
  controlSecret: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** Per call; stop waits for the last uploads, so it gets longer. */
  timeoutMs?: number;
  stopTimeoutMs?: number;
}

const problemToFleetCode: Record<RecorderProblemCode, MediaFleetErrorCode> = {
  unauthorized: "unauthorized",
  validation_failed: "invalid_request",
  malformed_json: "invalid_request",
  unsupported_media_type: "invalid_request",
  payload_too_large: "invalid_request",
  route_not_found: "invalid_request",
  recording_not_found: "recording_not_found",
  capture_stopped: "capture_stopped",
  recorder_full: "recorder_full",
  room_unreachable: "node_unreachable",
  internal_error: "recorder_error",
};

function toStatus(recorderId: string, body: CaptureStatusBody): CaptureStatus {
  return {
    recordingId: body.recordingId,
    recorderId,
    state: body.state,
    startedAt: new Date(body.startedAt),
    activeTracks: body.activeTracks,
    chunksUploaded: body.chunksUploaded,
    excluded: body.excluded,
    paused: body.paused.map((span) => ({ from: new Date(span.from), to: new Date(span.to) })),
  };
}

export class HttpRecorderPool implements Recorder {
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly members: ReadonlyMap<string, RecorderMember>;

  constructor(private readonly options: HttpRecorderOptions) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? Date.now;
    this.members = new Map(options.pool.map((m) => [m.id, m]));
  }

  /** Each member's /healthz, read now; a member that does not answer is unhealthy. */
  async loads(): Promise<Map<string, RecorderLoad | undefined>> {
    const entries = await Promise.all(
      [...this.members.values()].map(async (member): Promise<[string, RecorderLoad | undefined]> => {
        try {
          const health = await this.call(member, "GET", recorderRoutes.health, RecorderHealth, { timeoutMs: 2_000, auth: false });
          return [member.id, { healthy: true, maxTracks: health.maxTracks, activeTracks: health.activeTracks, statsAgeMs: 0 }];
        } catch {
          return [member.id, undefined];
        }
      }),
    );
    return new Map(entries);
  }

  async start(input: StartCapture): Promise<CaptureStatus> {
    const body = StartCaptureRequest.parse({
      recordingId: input.recordingId,
      tenantId: input.tenantId,
      meetingId: input.meetingId,
      room: input.room,
      nodeUrl: input.nodeUrl,
      excluded: input.excluded,
      layout: input.layout,
      ...(input.continuing ? { continuing: true } : {}),
      ...(input.paused ? { paused: true } : {}),
    } satisfies z.input<typeof StartCaptureRequest>);
    const loads = await this.loads();
    const tried = new Set<string>(input.avoid ?? []);
    for (;;) {
      const placement = selectRecorder([...this.members.values()], loads, defaultRecorderPlacementPolicy, tried);
      if (!placement.ok) {
        throw new MediaFleetError(placement.code === "fleet_full" ? "recorder_full" : "node_unreachable", placement.message);
      }
      const member = this.members.get(placement.recorderId)!;
      try {
        return toStatus(member.id, await this.call(member, "POST", recorderRoutes.start, CaptureStatusBody, { body }));
      } catch (error) {
        // Only a refusal that started nothing moves on to the next member: a start that may have happened (a
        // timeout) is not repeated elsewhere, or the meeting would be captured twice.
        const movable =
          error instanceof MediaFleetError && (error.code === "recorder_full" || (error.cause as Error)?.name === "TypeError");
        if (!movable) throw error;
        tried.add(member.id);
      }
    }
  }

  async pause(recorderId: string, recordingId: string): Promise<CaptureStatus> {
    return this.statusCall(recorderId, "POST", recorderRoutes.pause(recordingId));
  }

  async resume(recorderId: string, recordingId: string): Promise<CaptureStatus> {
    return this.statusCall(recorderId, "POST", recorderRoutes.resume(recordingId));
  }

  async exclude(recorderId: string, recordingId: string, excluded: Exclusion[]): Promise<CaptureStatus> {
    return this.statusCall(recorderId, "PUT", recorderRoutes.exclusions(recordingId), { excluded });
  }

  async status(recorderId: string, recordingId: string): Promise<CaptureStatus> {
    return this.statusCall(recorderId, "GET", recorderRoutes.capture(recordingId));
  }

  async stop(recorderId: string, recordingId: string): Promise<{ manifestKey: string; status: CaptureStatus }> {
    const member = this.member(recorderId);
    const answer = await this.call(member, "POST", recorderRoutes.stop(recordingId), StopCaptureBody, {
      timeoutMs: this.options.stopTimeoutMs ?? 60_000,
    });
    return { manifestKey: answer.manifestKey, status: toStatus(member.id, answer.status) };
  }

  private member(recorderId: string): RecorderMember {
    const member = this.members.get(recorderId);
    // A recorder id outside the pool is never called: the id comes from storage, and the token must not go elsewhere.
    if (!member) throw new MediaFleetError("recording_not_found", "that recorder is not in the pool");
    return member;
  }

  private async statusCall(recorderId: string, method: string, path: string, body?: unknown): Promise<CaptureStatus> {
    const member = this.member(recorderId);
    return toStatus(member.id, await this.call(member, method, path, CaptureStatusBody, { body }));
  }

  private async call<T extends z.ZodType>(
    member: RecorderMember,
    method: string,
    path: string,
    schema: T,
    options: { body?: unknown; timeoutMs?: number; auth?: boolean } = {},
  ): Promise<z.infer<T>> {
    const headers: Record<string, string> = {};
    if (options.auth !== false) headers.authorization = `Bearer ${await mintControlToken(this.options.controlSecret, this.now())}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const what = `${method} ${member.url}${path}`;
    let response: Response;
    try {
      response = await this.fetch(`${member.url}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs ?? this.options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      throw new MediaFleetError("node_unreachable", `${what}: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const problem = RecorderProblem.safeParse(json);
      const code = problem.success ? problemToFleetCode[problem.data.code] : "recorder_error";
      const detail = problem.success
        ? (problem.data.issues?.map((i) => `${i.path}: ${i.message}`).join("; ") ?? problem.data.detail)
        : undefined;
      throw new MediaFleetError(code, `${what}: ${response.status}${detail ? ` (${detail})` : ""}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new MediaFleetError("recorder_error", `${what}: an answer that is not the protocol's`);
    return parsed.data;
  }
}
