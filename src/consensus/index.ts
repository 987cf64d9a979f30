// The consensus core's public surface: PBFT as a pure `step(input) → actions` state machine, its
// messages and codec, and the seam to the validator-selection modules.
export * from "./messages.js";
export * from "./io.js";
export * from "./vote-record.js";
export * from "./replica-config.js";
export { Replica, type ReplicaPhase, type ReplicaStatus } from "./replica.js";
export { viewTimeoutTicks, rebroadcastIntervalTicks } from "./timeouts.js";
export type { ValidatorSelection } from "./selection/validator-selection.js";
