// Hostile RPC clients against one real 4-validator network (`triad start` processes, HTTP and
// WebSocket on 127.0.0.1): every attack gets its documented error or is cut off, and the honest
// client's status and committed tx succeed, each within a bound, while it runs. One network
// for the whole suite: starting one costs more than all the attacks together.
import { afterAll, beforeAll } from "vitest";
import { connectionAttacks, CONNECTION_LIMITS } from "./connections.js";
import { startHostileNet, type HostileNet } from "./harness.js";
import { requestAttacks } from "./requests.js";

let net: HostileNet | undefined;
const current = (): HostileNet => {
  if (net === undefined) throw new Error("the network did not start");
  return net;
};

beforeAll(async () => {
  net = await startHostileNet(CONNECTION_LIMITS);
}, 180_000);

afterAll(async () => {
  await net?.stop();
}, 60_000);

requestAttacks(current);
connectionAttacks(current);
