// The record of our own votes (vote-record.ts): a commit carries the prepared certificate behind
// it in the same record; plain records (older ones, and every other vote) load as before.
import { describe, expect, it } from "vitest";
import { DecodeError, Writer } from "../../../src/chain/index.js";
import { encodeMessage, writeCertificate } from "../../../src/consensus/messages.js";
import { decodeVoteRecord, decodeVoteRecords, encodeVoteRecord } from "../../../src/consensus/vote-record.js";
import { certificate, commit, GENESIS_HASH, makeKeys, makeTestBlock, prepare, viewChange } from "./harness.js";

const keys = makeKeys(4);
const block = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id);
const other = makeTestBlock(1, 0, GENESIS_HASH, keys[1]!.id, 3);
const own = commit(keys[0]!, 1, 0, block.hash);
const cert = certificate([keys[0]!, keys[1]!, keys[2]!], 1, 0, block.hash);

describe("vote record encoding", () => {
  it("round-trips a commit with its certificate, with and without the block", () => {
    for (const b of [block, null]) {
      const bytes = encodeVoteRecord(own, { certificate: cert, block: b });
      expect(decodeVoteRecord(bytes)).toEqual({ message: own, prepared: { certificate: cert, block: b } });
      expect(encodeVoteRecord(own, { certificate: cert, block: b })).toEqual(bytes);
    }
  });

  it("encodes a vote without a certificate as the plain message, so older records load unchanged", () => {
    const p = prepare(keys[0]!, 1, 0, block.hash);
    expect(encodeVoteRecord(p, null)).toEqual(encodeMessage(p));
    const vc = viewChange(keys[0]!, 1, 1, cert, block);
    expect(decodeVoteRecords([{ bytes: encodeMessage(p) }, { bytes: encodeMessage(vc) }, { bytes: encodeMessage(own) }])).toEqual({
      ownVotes: [p, vc, own],
      ownCertificates: [],
    });
  });

  it("rejects trailing bytes, a tagged record without a certificate, and a certificate that is not the commit's", () => {
    const bytes = encodeVoteRecord(own, { certificate: cert, block });
    expect(() => decodeVoteRecord(Uint8Array.of(...bytes, 0))).toThrow(DecodeError);
    const bare = new Writer(256).u8(0x10).bytes(encodeMessage(own));
    expect(() => decodeVoteRecord(writeCertificate(bare, null).bool(false).finish())).toThrow(DecodeError);
    const foreign = certificate([keys[0]!, keys[1]!, keys[2]!], 1, 0, other.hash);
    const forged = writeCertificate(new Writer(256).u8(0x10).bytes(encodeMessage(own)), foreign).bool(false).finish();
    expect(() => decodeVoteRecord(forged)).toThrow(DecodeError);
    expect(() => encodeVoteRecord(own, { certificate: foreign, block: null })).toThrow(RangeError);
    expect(() => encodeVoteRecord(own, { certificate: cert, block: other })).toThrow(RangeError);
    expect(() => encodeVoteRecord(prepare(keys[0]!, 1, 0, block.hash), { certificate: cert, block })).toThrow(RangeError);
  });
});
