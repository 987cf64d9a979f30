// One verification worker of ./verify-limit.ts: signs its own txs, then, on "go", verifies
// them for a fixed time exactly as a node's mempool admits a tx from a client or a peer —
// verifyTx with OpenSSL's ed25519, uncached (no tx is ever checked twice) — and reports how
// many it verified.
import { parentPort, workerData } from "node:worker_threads";
import { decodeSignedTx, generateKeyPair, toHex, verifyTx, type SignedTx } from "../../chain/index.js";
import { TxBuilder } from "../tx-builder.js";

export interface VerifyWorkerData {
  readonly seconds: number;
  readonly txs: number;
}

export interface VerifyWorkerReport {
  readonly verifies: number;
  readonly seconds: number;
}

const CHAIN_ID = "triad-bench-verify";
const KEYS = 16;

const { seconds, txs: count } = workerData as VerifyWorkerData;
const builders = Array.from({ length: KEYS }, () => new TxBuilder(generateKeyPair(), CHAIN_ID));
const to = toHex(generateKeyPair().publicKey);
const txs: SignedTx[] = [];
for (let k = 0; k < count; k++) txs.push(decodeSignedTx(builders[k % KEYS]!.transfer(Math.floor(k / KEYS), to, 1n).bytes));

parentPort!.once("message", () => {
  const started = performance.now();
  const until = started + seconds * 1000;
  let verifies = 0;
  while (performance.now() < until) {
    for (let k = 0; k < txs.length && (k % 256 !== 0 || performance.now() < until); k++) {
      verifyTx(txs[k]!, CHAIN_ID);
      verifies++;
    }
  }
  parentPort!.postMessage({ verifies, seconds: (performance.now() - started) / 1000 } satisfies VerifyWorkerReport);
});
parentPort!.postMessage("ready");
