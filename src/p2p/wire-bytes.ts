// Bytes arriving from libp2p are Node Buffers (socket chunks, protobuf fields). The chain's
// Reader slices its input, and Buffer#slice is a view, not a copy: decoded hashes and signatures
// would be Buffers aliasing the whole received frame, keeping up to megabytes alive for as long
// as one vote sits in a log, and comparing unequal to Uint8Arrays in tests. One copy at the edge.
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes) : bytes;
}
