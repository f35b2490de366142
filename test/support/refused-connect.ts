import WebSocket from "ws";

/** Connects and expects the upgrade to be refused; answers the refusal as a Response for expectProblem. */
export async function refusedConnect(connectUrl: string): Promise<Response> {
  const socket = new WebSocket(connectUrl);
  return new Promise<Response>((resolve, reject) => {
    socket.once("open", () => {
      socket.terminate();
      reject(new Error("the connect was accepted"));
    });
    socket.once("unexpected-response", (_request, response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === "string") headers.set(name, value);
        resolve(new Response(Buffer.concat(chunks), { status: response.statusCode ?? 0, headers }));
      });
    });
    socket.once("error", () => {});
  });
}
