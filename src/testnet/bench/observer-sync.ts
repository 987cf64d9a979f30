// How fast a fresh observer catches up: the chain is first let grow to `minBlocks` (bounded
// wait), the head at that moment is the target, then the observer starts from genesis and
// its height is polled until it reaches the target. Blocks/s counts from the moment its RPC
// first answers (the blocks it already had then are left out), and again with startup included.
import type { TriadClient } from "../../rpc/client.js";
import { headHeight } from "../scenario.js";
import type { Testnet } from "../testnet.js";
import { round1 } from "./stats.js";

export interface ObserverSyncOptions {
  readonly minBlocks: number;
  /** Longest wait for the chain to reach minBlocks before starting anyway. */
  readonly growWaitMs: number;
  /** Longest wait for the observer to reach the target. */
  readonly syncTimeoutMs: number;
  readonly log: (line: string) => void;
  /** Drive blocks until the chain reaches `height` or `untilMs` passes (an idle chain grows slowly). */
  readonly grow?: (height: number, untilMs: number) => Promise<void>;
}

export interface ObserverSyncReport {
  readonly name: string;
  readonly targetHeight: number;
  readonly reachedTarget: boolean;
  readonly heightReached: number;
  readonly startupSeconds: number;
  readonly syncSeconds: number;
  /** Blocks taken from its RPC's first answer to the target, per second. */
  readonly blocksPerSec: number;
  /** Height over the whole time from process start (startup included). */
  readonly blocksPerSecWithStartup: number;
  readonly heightAtFirstAnswer: number;
  readonly note?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function measureObserverSync(net: Testnet, name: string, head: TriadClient, options: ObserverSyncOptions): Promise<ObserverSyncReport> {
  const growUntil = Date.now() + options.growWaitMs;
  let target = await headHeight(head);
  if (target < options.minBlocks) {
    options.log(`letting the chain grow from ${target} to ${options.minBlocks} blocks before starting ${name} (at most ${options.growWaitMs / 1000} s)`);
    await options.grow?.(options.minBlocks, growUntil);
    target = await headHeight(head);
  }
  while (target < options.minBlocks && Date.now() < growUntil) {
    await sleep(1_000);
    target = await headHeight(head);
  }
  const t0 = performance.now();
  await net.start([name]);
  const client = net.client(name);
  let height = -1;
  while (height < 0 && performance.now() - t0 < options.syncTimeoutMs) height = await headHeight(client).catch(() => -1);
  const ready = performance.now();
  const heightAtReady = Math.max(0, height);
  const deadline = ready + options.syncTimeoutMs;
  while (height < target && performance.now() < deadline) {
    await sleep(20);
    height = await headHeight(client).catch(() => height);
  }
  const done = performance.now();
  const syncSeconds = (done - ready) / 1000;
  return {
    name,
    targetHeight: target,
    reachedTarget: height >= target,
    heightReached: height,
    startupSeconds: round1((ready - t0) / 1000),
    syncSeconds: Math.round(syncSeconds * 1000) / 1000,
    blocksPerSec: syncSeconds > 0 ? Math.round((Math.max(0, height) - heightAtReady) / syncSeconds) : 0,
    blocksPerSecWithStartup: Math.round(Math.max(0, height) / ((done - t0) / 1000)),
    heightAtFirstAnswer: heightAtReady,
    ...(target < options.minBlocks ? { note: `the chain had only ${target} blocks (wanted ${options.minBlocks}): few blocks make the rate noisy` } : {}),
  };
}
