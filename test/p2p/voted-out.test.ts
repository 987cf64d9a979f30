// A PoA validator voted out is disconnected and refused from the height its removal takes effect,
// on real hosts: the admission follows a real chain (votes executed by the block rules), and the
// node's append path (refresh, then enforceAllowList) closes the connection config still asks for.
import { afterAll, describe, expect, it } from "vitest";
import { devKeyPair, toHex } from "../../src/chain/index.js";
import { poaSelection, poaVoteKind } from "../../src/consensus/selection/index.js";
import { PeerAdmission } from "../../src/node/peer-admission.js";
import { genesisOf, id, TestChain, validatorKeys } from "../unit/consensus/selection/harness.js";
import { startHost, until, type TestHost } from "./helpers.js";

describe("a PoA validator voted out", () => {
  const hosts: TestHost[] = [];
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.host.stop()));
  });

  it("is disconnected and refused once the block that removes it is appended", async () => {
    const keys = validatorKeys(5);
    const [v0, v1, v2, , v4] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0], (typeof keys)[0], (typeof keys)[0]];
    const chain = new TestChain(genesisOf({ selection: { name: "poa" }, validators: keys.map((k) => ({ id: id(k) })) }), poaSelection);
    const store = {
      head: () => ({ height: chain.height, hash: chain.parent.hash, timestamp: chain.parent.timestamp }),
      validatorsAt: (height: number) => chain.history.get(height) ?? chain.set,
      state: () => chain.state,
    };
    // Every node is a configured peer, as in a testnet's config.toml.
    const admission = new PeerAdmission(store, keys.map(id), false);
    const a = await startHost({ key: v0, isAllowed: admission.isAllowed });
    hosts.push(a);
    const removed = await startHost({ key: devKeyPair("validator-4"), peers: [a.host.multiaddrs()[0]!], isAllowed: () => true });
    hosts.push(removed);
    const node = a.host.libp2p;
    const linked = (): boolean => a.host.connectedPeers().includes(id(v4));
    await until("validator-4 to connect", linked, [node], ["peer:connect"]);

    const remove = (by: typeof v0) => chain.tx(by, "poa.vote", poaVoteKind.encode({ action: "remove", validator: v4.publicKey }));
    chain.block([remove(v0), remove(v1)]);
    expect(admission.refresh()).toBe(false);
    await a.host.enforceAllowList();
    expect(linked()).toBe(true);

    chain.block([remove(v2)]);
    expect(admission.refresh()).toBe(true);
    await a.host.enforceAllowList();
    await until("validator-4 to be disconnected", () => !linked(), [node], ["peer:disconnect"]);
    expect(admission.isAllowed(id(v4))).toBe(false);
    // Refused both ways: a dial from a is refused outright, and the removed node's own dials
    // (a request, which dials) die at a's gater after their handshake.
    await expect(a.host.libp2p.dial(removed.host.peerId)).rejects.toThrow(/gater/);
    await expect(removed.host.status(a.id)).rejects.toThrow();
    expect(linked()).toBe(false);
    expect(toHex(v4.publicKey)).toBe(removed.id);
  });
});
