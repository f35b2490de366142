import { z } from "zod";
import type { ParticipantRole } from "../../protocol/roles.ts";

/**
 * The REST calls the demo page makes with the tenant API key (see main.ts for why a page holds one).
 * Responses are validated; failures become `ApiProblem` carrying the problem+json `code`.
 */
const meetingSchema = z.object({ id: z.string(), title: z.string(), status: z.string(), waitingRoom: z.boolean() });
const joinTokenSchema = z.object({ token: z.string(), connectUrl: z.string(), expiresAt: z.string() });
const problemSchema = z.object({ code: z.string(), title: z.string().optional(), detail: z.string().optional() });

export type Meeting = z.infer<typeof meetingSchema>;
export type JoinToken = z.infer<typeof joinTokenSchema>;
export type JoinRole = ParticipantRole;

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = "ApiProblem";
  }
}

export class ApiClient {
  constructor(
    private readonly apiKey: string,
    private readonly baseUrl: string = window.location.origin,
  ) {}

  createMeeting(input: { title: string; waitingRoom: boolean }): Promise<Meeting> {
    return this.request("POST", "/v1/meetings", input, meetingSchema);
  }

  getMeeting(meetingId: string): Promise<Meeting> {
    return this.request("GET", `/v1/meetings/${encodeURIComponent(meetingId)}`, undefined, meetingSchema);
  }

  mintJoinToken(meetingId: string, input: { identity: string; name: string; role: JoinRole }): Promise<JoinToken> {
    return this.request("POST", `/v1/meetings/${encodeURIComponent(meetingId)}/tokens`, input, joinTokenSchema);
  }

  private async request<T>(method: string, path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: { authorization: `Bearer ${this.apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiProblem(0, "network_error", "The server could not be reached");
    }
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const problem = problemSchema.safeParse(payload);
      if (problem.success)
        throw new ApiProblem(response.status, problem.data.code, problem.data.detail ?? problem.data.title ?? problem.data.code);
      throw new ApiProblem(response.status, "unexpected_response", `HTTP ${response.status}`);
    }
    const parsed = schema.safeParse(payload);
    if (!parsed.success) throw new ApiProblem(response.status, "unexpected_response", "The server answered with an unexpected body");
    return parsed.data;
  }
}
