import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

/** How the receiver answers one request: a status (and headers, body), or `hang` (never answers). */
export type ReceiverAnswer = { status: number; headers?: Record<string, string>; body?: string } | "hang";

/**
 * A tenant's webhook receiver on loopback: records every request exactly as it arrived (raw body and headers) and
 * answers as the test says. Signatures are checked with the `standardwebhooks` package, not the product's code.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answer: (request: ReceivedWebhook) => ReceiverAnswer = () => ({ status: 204 });
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  /** Listens on loopback, on `port` when given (a receiver coming back where it was). */
  static async start(path = "/hooks", port = 0): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => receiver!.handle(request, Buffer.concat(chunks).toString("utf8"), response));
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    const bound = (server.address() as AddressInfo).port;
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${bound}${path}`);
    return receiver;
  }

  private handle(request: http.IncomingMessage, body: string, response: http.ServerResponse): void {
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
    const received = { headers, body, receivedAt: Date.now() };
    this.received.push(received);
    const answer = this.answer(received);
    if (answer === "hang") {
      this.hanging.add(response);
      return;
    }
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body ?? "");
  }

  /** The events received, parsed, in arrival order (repeats included). */
  events(): { id: string; type: string; meetingId: string | null; data: Record<string, unknown>; [k: string]: unknown }[] {
    return this.received.map((r) => JSON.parse(r.body));
  }

  /** Every received request verifies with this secret (raises otherwise), as any Standard Webhooks receiver would. */
  verifyAll(secret: string): void {
    const verifier = new Webhook(secret);
    for (const r of this.received) verifier.verify(r.body, r.headers);
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
