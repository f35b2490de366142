import dgram from "node:dgram";
import {
  Attr,
  MessageType,
  attribute,
  decodeErrorCode,
  decodeStunMessage,
  decodeXorAddress,
  encodeStunMessage,
  encodeXorAddress,
  isErrorResponse,
  longTermKey,
  newTransactionId,
  requestedTransport,
  stringAttribute,
  uint32Attribute,
  verifyMessageIntegrity,
  type StunAttribute,
  type StunError,
  type StunMessage,
  type TransportAddress,
} from "./stun-message.ts";

/**
 * A minimal TURN-over-UDP client for tests: one socket, one allocation, long-term credentials.
 * Every wait is bounded; a missing answer rejects instead of hanging the test run.
 */

export interface TurnCredentials {
  username: string;
  password: string;
}

export type AllocateResult =
  | {
      ok: true;
      relayed: TransportAddress;
      mapped: TransportAddress | undefined;
      lifetimeSeconds: number | undefined;
      /** Whether the success response carried a MESSAGE-INTEGRITY valid under our key (proves the server knew it). */
      responseIntegrity: boolean | undefined;
    }
  | ({ ok: false } & StunError);

interface Received {
  message: StunMessage;
  datagram: Buffer;
}

interface Pending {
  resolve: (received: Received) => void;
}

interface Session {
  username: string;
  realm: string;
  nonce: string;
  key: Buffer;
}

const requestTimeoutMs = 3000;
// RFC 8489 retransmits UDP requests from 500 ms; loopback rarely loses packets, but a busy CI box might.
const retransmitMs = 500;

const maxPortMoves = 3;

async function boundSocket(port = 0): Promise<dgram.Socket> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, "127.0.0.1", () => {
      socket.off("error", reject);
      resolve();
    });
  });
  return socket;
}

export class TurnClient {
  private readonly pending = new Map<string, Pending>();
  private readonly indications: StunMessage[] = [];
  private indicationWaiter: (() => void) | undefined;
  private session: Session | undefined;

  private constructor(
    private socket: dgram.Socket,
    readonly server: TransportAddress,
  ) {
    socket.on("message", (datagram) => this.onDatagram(datagram));
  }

  /** `localPort` 0 lets the kernel pick, as a browser's socket does. */
  static async open(server: TransportAddress, localPort = 0): Promise<TurnClient> {
    return new TurnClient(await boundSocket(localPort), server);
  }

  /** The client's own transport address, as a TURN peer or the server would see it. */
  get local(): TransportAddress {
    const { address, port } = this.socket.address();
    return { address, port };
  }

  private async moveToFreshPort(): Promise<void> {
    const fresh = await boundSocket();
    this.close();
    fresh.on("message", (datagram) => this.onDatagram(datagram));
    this.socket = fresh;
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      /* already closed */
    }
  }

  /** Sends bytes as they are, for malformed-input tests. */
  sendRaw(datagram: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(datagram, this.server.port, this.server.address, (error) => (error ? reject(error) : resolve())),
    );
  }

  /**
   * Allocate with the long-term mechanism: an unauthenticated request draws a 401 carrying REALM and NONCE,
   * and the retry carries USERNAME/REALM/NONCE and MESSAGE-INTEGRITY keyed with MD5(username:realm:password).
   */
  async allocate(credentials: TurnCredentials, lifetimeSeconds?: number): Promise<AllocateResult> {
    for (let move = 0; ; move++) {
      const result = await this.allocateFromThisPort(credentials, lifetimeSeconds);
      // 437: the kernel gave us a port whose earlier owner (another test, a browser) left an allocation on this
      // 5-tuple. RFC 8656 §7.4 lets the client retry from another transport address, as browsers do.
      if (result.ok || result.code !== 437 || move === maxPortMoves) return result;
      await this.moveToFreshPort();
    }
  }

  private async allocateFromThisPort(credentials: TurnCredentials, lifetimeSeconds?: number): Promise<AllocateResult> {
    const attributes = [requestedTransport()];
    if (lifetimeSeconds !== undefined) attributes.push(uint32Attribute(Attr.Lifetime, lifetimeSeconds));
    const challenge = await this.request({ type: MessageType.AllocateRequest, attributes });
    if (!isErrorResponse(challenge.message)) throw new Error("coturn allocated without asking for credentials");
    const challengeError = decodeErrorCode(challenge.message);
    const realm = attribute(challenge.message, Attr.Realm)?.toString("utf8");
    const nonce = attribute(challenge.message, Attr.Nonce)?.toString("utf8");
    if (challengeError?.code !== 401 || realm === undefined || nonce === undefined) {
      return { ok: false, ...(challengeError ?? { code: 0, reason: "error response without ERROR-CODE" }) };
    }
    const key = longTermKey(credentials.username, realm, credentials.password);
    this.session = { username: credentials.username, realm, nonce, key };

    const { message, datagram } = await this.authenticated(MessageType.AllocateRequest, attributes);
    if (isErrorResponse(message)) {
      this.session = undefined;
      return { ok: false, ...(decodeErrorCode(message) ?? { code: 0, reason: "error response without ERROR-CODE" }) };
    }
    const relayed = attribute(message, Attr.XorRelayedAddress);
    if (!relayed) throw new Error("Allocate success without XOR-RELAYED-ADDRESS");
    const mapped = attribute(message, Attr.XorMappedAddress);
    return {
      ok: true,
      relayed: decodeXorAddress(relayed),
      mapped: mapped && decodeXorAddress(mapped),
      lifetimeSeconds: attribute(message, Attr.Lifetime)?.readUInt32BE(0),
      responseIntegrity: verifyMessageIntegrity(datagram, this.session.key),
    };
  }

  /** Refresh; a lifetime of 0 releases the allocation so repeated runs don't exhaust the relay port range. */
  async refresh(lifetimeSeconds: number): Promise<StunError | undefined> {
    const lifetime = uint32Attribute(Attr.Lifetime, lifetimeSeconds);
    const { message } = await this.authenticated(MessageType.RefreshRequest, [lifetime]);
    return isErrorResponse(message) ? decodeErrorCode(message) : undefined;
  }

  /** Lets `peer` send to our relayed address; TURN drops peer traffic without a permission. */
  async createPermission(peer: TransportAddress): Promise<StunError | undefined> {
    const { message } = await this.authenticated(MessageType.CreatePermissionRequest, [encodeXorAddress(Attr.XorPeerAddress, peer)]);
    return isErrorResponse(message) ? decodeErrorCode(message) : undefined;
  }

  /** Relays `data` to `peer` from our relayed address (a Send indication: no response, no authentication). */
  sendToPeer(peer: TransportAddress, data: Buffer): Promise<void> {
    const message = encodeStunMessage({
      type: MessageType.SendIndication,
      transactionId: newTransactionId(),
      attributes: [encodeXorAddress(Attr.XorPeerAddress, peer), { type: Attr.Data, value: data }],
    });
    return this.sendRaw(message);
  }

  /** The next Data indication: what a peer sent to our relayed address. */
  async receiveFromPeer(timeoutMs = requestTimeoutMs): Promise<{ peer: TransportAddress; data: Buffer }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.indications.findIndex((m) => m.type === MessageType.DataIndication);
      if (index >= 0) {
        const [message] = this.indications.splice(index, 1);
        const peer = attribute(message!, Attr.XorPeerAddress);
        const data = attribute(message!, Attr.Data);
        if (!peer || !data) throw new Error("Data indication without XOR-PEER-ADDRESS or DATA");
        return { peer: decodeXorAddress(peer), data };
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no Data indication within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.indicationWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** A request in the current session; a 438 Stale Nonce is answered once with the server's fresh nonce. */
  private async authenticated(type: number, attributes: StunAttribute[]): Promise<Received> {
    for (let attempt = 0; ; attempt++) {
      const session = this.session;
      if (!session) throw new Error("no TURN session: allocate first");
      const received = await this.request(
        {
          type,
          attributes: [
            ...attributes,
            stringAttribute(Attr.Username, session.username),
            stringAttribute(Attr.Realm, session.realm),
            stringAttribute(Attr.Nonce, session.nonce),
          ],
        },
        session.key,
      );
      const nonce = attribute(received.message, Attr.Nonce)?.toString("utf8");
      if (attempt === 0 && decodeErrorCode(received.message)?.code === 438 && nonce) {
        session.nonce = nonce;
        continue;
      }
      return received;
    }
  }

  private request(message: Omit<StunMessage, "transactionId">, integrityKey?: Buffer, timeoutMs = requestTimeoutMs): Promise<Received> {
    const transactionId = newTransactionId();
    const datagram = encodeStunMessage({ ...message, transactionId }, integrityKey);
    const id = transactionId.toString("hex");
    return new Promise<Received>((resolve, reject) => {
      const send = () => this.sendRaw(datagram).catch(finish);
      const retransmit = setInterval(send, retransmitMs);
      const timeout = setTimeout(
        () => finish(new Error(`no STUN response to type 0x${message.type.toString(16)} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const finish = (result: Received | Error) => {
        clearInterval(retransmit);
        clearTimeout(timeout);
        this.pending.delete(id);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      this.pending.set(id, { resolve: finish });
      void send();
    });
  }

  private onDatagram(datagram: Buffer): void {
    const message = decodeStunMessage(datagram);
    if (!message) return;
    const pending = this.pending.get(message.transactionId.toString("hex"));
    if (pending) {
      pending.resolve({ message, datagram });
    } else if ((message.type & 0x0110) === 0x0010) {
      this.indications.push(message);
      this.indicationWaiter?.();
      this.indicationWaiter = undefined;
    }
  }
}
