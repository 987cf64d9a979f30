// WebSocket subscriptions: the `subscribe`/`unsubscribe`/`unsubscribe_all` methods, and the
// hub that turns the node's block and tx callbacks into CometBFT events for every matching
// subscription. Events are pushed as CometBFT does: a JSON-RPC response carrying the
// subscribe request's id, with `result: {query, data: {type, value}, events}`.
import type { Logger } from "pino";
import type { WebSocket } from "ws";
import type { StoredBlock, TxLocation } from "../chain/block-store.js";
import { RpcError, notFound } from "./errors.js";
import { EMPTY_COMMIT, base64, blockIdJson, blockJson, commitJson, txResultJson, upperHex } from "./format.js";
import type { MethodDef, RequestId, RpcEnv, WsSession } from "./method-context.js";
import { queryMatches, parseQuery, type EventAttributes, type EventQuery } from "./query.js";
import type { EventData, NewBlockEventValue, TxEventValue } from "./types.js";

/** Events waiting to be delivered (building a NewBlock event may read the store). */
const MAX_QUEUED_EVENTS = 10_000;
/** How long a client dropped for not reading has to complete the close handshake. */
const CLOSE_GRACE_MS = 1000;

interface Subscription {
  readonly query: EventQuery;
  readonly requestId: RequestId;
}

export class WsClient implements WsSession {
  private readonly subs = new Map<string, Subscription>();
  private readonly controller = new AbortController();
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly limits: { readonly maxSubscriptionsPerClient: number; readonly maxBufferedBytes: number },
    private readonly logger: Logger,
  ) {}

  /** Aborted when the connection closes: cancels its pending broadcast_tx_commit waits. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  subscribe(query: EventQuery, requestId: RequestId): void {
    if (this.subs.has(query.text)) throw new RpcError("INVALID_PARAMS", { param: "query", reason: "already subscribed to this query", query: query.text });
    if (this.subs.size >= this.limits.maxSubscriptionsPerClient) {
      throw new RpcError("TOO_MANY", { reason: `at most ${this.limits.maxSubscriptionsPerClient} subscriptions per client`, limit: this.limits.maxSubscriptionsPerClient });
    }
    this.subs.set(query.text, { query, requestId });
  }

  unsubscribe(queryText: string): void {
    if (!this.subs.delete(queryText)) throw notFound("subscription", { query: queryText });
  }

  unsubscribeAll(): void {
    this.subs.clear();
  }

  /** Subscriptions whose query matches an event with these attributes. */
  matching(events: EventAttributes): Subscription[] {
    const out: Subscription[] = [];
    for (const sub of this.subs.values()) if (queryMatches(sub.query, events)) out.push(sub);
    return out;
  }

  send(text: string): void {
    if (this.closed) return;
    // A client that does not read must not make the node buffer without bound: drop it, as
    // CometBFT cancels the subscriptions of a client "not pulling messages fast enough".
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.logger.warn({ buffered: this.socket.bufferedAmount }, "closing a WebSocket client that is not reading");
      this.socket.close(1013, "client is not reading fast enough");
      // A client that does not read will not read the close frame either: without this, ws
      // keeps the socket and everything queued on it for its 30 s close timeout.
      setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
      this.close();
      return;
    }
    this.socket.send(text);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subs.clear();
    this.controller.abort();
  }
}

/** One event, its attributes, and its `data` serialised once for all subscribers. */
interface PreparedEvent {
  readonly events: EventAttributes;
  readonly data: () => Promise<EventData>;
}

export class EventHub {
  private readonly clients = new Set<WsClient>();
  private readonly unsubscribes: (() => void)[] = [];
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  /** The last block seen, so the next NewBlock event needs no store read for its last commit. */
  private lastBlock: StoredBlock | undefined;

  constructor(
    private readonly env: RpcEnv,
    private readonly logger: Logger,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  start(): void {
    this.unsubscribes.push(
      this.env.api.onNewBlock((block) => this.onNewBlock(block)),
      this.env.api.onTx((tx) => this.onTx(tx)),
    );
  }

  stop(): void {
    for (const u of this.unsubscribes.splice(0)) u();
    for (const c of this.clients) c.close();
    this.clients.clear();
  }

  add(client: WsClient): void {
    this.clients.add(client);
  }

  remove(client: WsClient): void {
    this.clients.delete(client);
    client.close();
  }

  private onNewBlock(stored: StoredBlock): void {
    const previous = this.lastBlock;
    this.lastBlock = stored;
    const height = String(stored.block.header.height);
    this.publish({
      events: { "tm.event": ["NewBlock"], "block.height": [height] },
      data: async () => ({ type: "tendermint/event/NewBlock", value: await this.newBlockValue(stored, previous) }),
    });
  }

  private onTx(loc: TxLocation): void {
    const value: TxEventValue = {
      TxResult: { height: String(loc.height), index: loc.index, tx: base64(loc.tx.bytes), result: txResultJson(loc.receipt) },
    };
    this.publish({
      events: {
        "tm.event": ["Tx"],
        "tx.hash": [upperHex(loc.tx.hash)],
        "tx.height": [String(loc.height)],
        "tx.sender": [loc.tx.sender],
        "tx.kind": [loc.tx.kind],
      },
      data: async () => ({ type: "tendermint/event/Tx", value }),
    });
  }

  private async newBlockValue(stored: StoredBlock, previous: StoredBlock | undefined): Promise<NewBlockEventValue> {
    const { api } = this.env;
    const height = stored.block.header.height;
    let lastCommit = EMPTY_COMMIT;
    if (height > 1) {
      const prev = previous?.block.header.height === height - 1 ? previous : await api.getBlock(height - 1);
      if (prev !== undefined) lastCommit = commitJson(prev.seal, await api.validatorsAt(height - 1), prev.block.header.timestamp);
    }
    return {
      block: blockJson(stored.block, await api.validatorsAt(height + 1), lastCommit),
      block_id: blockIdJson(stored.block.hash),
      result_finalize_block: {
        events: [],
        tx_results: stored.receipts.map(txResultJson),
        validator_updates: [],
        app_hash: base64(stored.block.header.stateRoot),
      },
    };
  }

  /**
   * Match now (cheap), build and deliver in order: events reach each client in the order the
   * node emitted them even when building one reads the store.
   */
  private publish(event: PreparedEvent): void {
    const targets: { client: WsClient; subs: Subscription[] }[] = [];
    for (const client of this.clients) {
      const subs = client.matching(event.events);
      if (subs.length > 0) targets.push({ client, subs });
    }
    if (targets.length === 0) return;
    if (this.queued >= MAX_QUEUED_EVENTS) {
      this.logger.warn({ queued: this.queued }, "dropping an event: delivery queue full");
      return;
    }
    this.queued++;
    this.queue = this.queue
      .then(async () => {
        const data = JSON.stringify(await event.data());
        const events = JSON.stringify(event.events);
        for (const { client, subs } of targets) {
          for (const sub of subs) {
            client.send(`{"jsonrpc":"2.0","id":${JSON.stringify(sub.requestId)},"result":{"query":${JSON.stringify(sub.query.text)},"data":${data},"events":${events}}}`);
          }
        }
      })
      .catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, "failed to deliver an event"))
      .finally(() => {
        this.queued--;
      });
  }
}

/** subscribe/unsubscribe/unsubscribe_all: served over WebSocket only (as in CometBFT). */
export function wsMethods(): MethodDef[] {
  const session = (ws: WsSession | null, method: string): WsSession => {
    if (ws === null) throw new RpcError("METHOD_NOT_FOUND", { method, reason: `${method} is only available over WebSocket at /websocket` });
    return ws;
  };
  return [
    {
      name: "subscribe",
      params: ["query"],
      handler: (p, ctx) => {
        const ws = session(ctx.ws, "subscribe");
        ws.subscribe(parseQuery(p.query), ctx.requestId);
        return {};
      },
    },
    {
      name: "unsubscribe",
      params: ["query"],
      handler: (p, ctx) => {
        const ws = session(ctx.ws, "unsubscribe");
        if (typeof p.query !== "string") throw new RpcError("INVALID_PARAMS", { param: "query", reason: "must be a string" });
        ws.unsubscribe(p.query);
        return {};
      },
    },
    {
      name: "unsubscribe_all",
      params: [],
      handler: (_p, ctx) => {
        session(ctx.ws, "unsubscribe_all").unsubscribeAll();
        return {};
      },
    },
  ];
}
